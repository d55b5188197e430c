import { Route, Switch } from 'wouter';
import { ChatPage } from '../chat/ChatPage';
import { HarnessEditorPage } from '../harnesses/HarnessEditorPage';
import { HarnessListPage } from '../harnesses/HarnessListPage';
import { HomePage } from '../shell/HomePage';
import { Layout } from '../shell/Layout';
import { NotFoundPage } from '../shell/NotFoundPage';
import { SignInPage } from '../signin/SignInPage';
import { SessionProvider, useSession } from './session';
import { SettingsProvider } from './settings';
import { ToastProvider } from './toasts';

/** Client routes (the gateway answers index.html for each; see docs/web.md). */
export const routes = {
  home: '/',
  conversation: (id: string) => `/c/${encodeURIComponent(id)}`,
  harnesses: '/harnesses',
  newHarness: '/harnesses/new',
  harness: (id: string) => `/harnesses/${encodeURIComponent(id)}`,
} as const;

function SignedInApp() {
  return (
    <SettingsProvider>
      <Layout>
        <Switch>
          <Route path="/" component={HomePage} />
          <Route path="/c/:conversationId">{(params) => <ChatPage key={params.conversationId} conversationId={params.conversationId} />}</Route>
          <Route path="/harnesses" component={HarnessListPage} />
          <Route path="/harnesses/new">{() => <HarnessEditorPage key="new" harnessId={null} />}</Route>
          <Route path="/harnesses/:harnessId">{(params) => <HarnessEditorPage key={params.harnessId} harnessId={params.harnessId} />}</Route>
          <Route component={NotFoundPage} />
        </Switch>
      </Layout>
    </SettingsProvider>
  );
}

function Gate() {
  const { state, reload } = useSession();
  switch (state.status) {
    case 'loading':
      return <p className="page-loading" role="status">Loading…</p>;
    case 'signed-out':
      return <SignInPage />;
    case 'error':
      return (
        <main className="page-error">
          <h1>Harness cannot be reached</h1>
          <p>{state.message}</p>
          <button type="button" onClick={reload}>Try again</button>
        </main>
      );
    case 'signed-in':
      return <SignedInApp />;
  }
}

export function App() {
  return (
    <ToastProvider>
      <SessionProvider>
        <Gate />
      </SessionProvider>
    </ToastProvider>
  );
}
