import { useEffect } from 'react';
import { Link } from 'wouter';
import { routes } from '../app/App';
import { useMe } from '../app/session';
import { useConversationList } from './conversation-list';
import { useHarnessChoice } from './harness-choice';
import { HarnessPicker } from './HarnessPicker';
import { ChatIcon, PlusIcon, SparkIcon } from './icons';
import { useStartConversation } from './use-start-conversation';

/** The signed-in landing page: start a conversation, or (first run) create the harness that conversations need. */
export function HomePage() {
  const me = useMe();
  const { harnesses } = useHarnessChoice();

  useEffect(() => {
    document.title = 'Harness';
  }, []);

  if (harnesses === null) return <p className="page-loading" role="status">Loading…</p>;
  return <section className="home">{harnesses.length === 0 ? <FirstRun name={me.name} /> : <Welcome name={me.name} />}</section>;
}

function Welcome({ name }: { name: string }) {
  const { start, starting, canStart } = useStartConversation();
  const { items } = useConversationList();
  const lead = items?.length
    ? 'Start a new conversation with one of your harnesses, or pick up an earlier one from the list.'
    : 'Start your first conversation with one of your harnesses.';
  return (
    <div className="home-card">
      <span className="home-icon" aria-hidden="true">
        <ChatIcon />
      </span>
      <h1>What shall we work on, {name}?</h1>
      <p className="home-lead">{lead}</p>
      <form
        className="home-start"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <HarnessPicker label="Harness to chat with" />
        <button type="submit" className="primary" disabled={!canStart || starting}>
          <PlusIcon /> Start a conversation
        </button>
      </form>
      <p className="home-hint">
        Tip: <kbd>Ctrl</kbd> + <kbd>Shift</kbd> + <kbd>O</kbd> starts a new conversation from anywhere.
      </p>
    </div>
  );
}

function FirstRun({ name }: { name: string }) {
  return (
    <div className="home-card first-run">
      <span className="home-icon" aria-hidden="true">
        <SparkIcon />
      </span>
      <h1>Welcome to Harness, {name}</h1>
      <p className="home-lead">
        Conversations run on a <strong>harness</strong>: a model, the instructions it follows, and the MCP servers whose
        tools it may use. Create your first one to start chatting.
      </p>
      <ol className="first-run-steps">
        <li>Pick a model and write a system prompt.</li>
        <li>Optionally add MCP servers for tools.</li>
        <li>Start a conversation with it.</li>
      </ol>
      <Link href={routes.newHarness} className="button primary home-cta">
        <PlusIcon /> Create your first harness
      </Link>
    </div>
  );
}
