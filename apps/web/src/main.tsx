import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { preloadSession } from './app/session';
import { preloadSettings } from './app/settings';
import { preloadChat } from './chat/load-chat';
import './styles/base.css';

// The first requests start now, not from effects after React's first render.
preloadSession(preloadSettings());
preloadChat(location.pathname);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
