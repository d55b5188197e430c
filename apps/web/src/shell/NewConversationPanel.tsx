import { Link } from 'wouter';
import { routes } from '../app/App';
import { useHarnessChoice } from './harness-choice';
import { HarnessPicker } from './HarnessPicker';
import { PlusIcon } from './icons';
import { useStartConversation } from './use-start-conversation';

/** The sidebar's top: "New conversation" with the harness it will use, or the way to a first harness. */
export function NewConversationPanel() {
  const { harnesses } = useHarnessChoice();
  const { start, starting, canStart } = useStartConversation();

  if (harnesses && harnesses.length === 0) {
    return (
      <div className="new-conversation first-harness">
        <p>Create a harness — a model with its instructions and tools — to start chatting.</p>
        <Link href={routes.newHarness} className="button primary">
          <PlusIcon /> Create a harness
        </Link>
      </div>
    );
  }
  return (
    <div className="new-conversation">
      <button type="button" className="primary new-conversation-button" onClick={() => void start()} disabled={!canStart || starting}>
        <PlusIcon /> New conversation
      </button>
      <HarnessPicker label="Harness" className="compact" />
    </div>
  );
}
