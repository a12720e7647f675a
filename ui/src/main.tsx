/**
 * Lancelog Explorer (docs/ui.md): a single-page app over the server's HTTP API. Four
 * views — Query, Commits, Operations, Health — reached by the URL's fragment
 * (`#/commits/<id>`), so every state can be linked to and reloaded.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adoptTokenFromUrl, getToken, setToken } from './api';
import { QueryView } from './views/query';
import { CommitsView } from './views/commits';
import { OperationsView, RecoveryView } from './views/operations';
import { HealthView } from './views/health';
import './style.css';

/** The fragment's path, split: `#/operations/01ABC` → ['operations', '01ABC']. */
function useRoute(): string[] {
  const parse = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const VIEWS = [
  ['query', 'Query'],
  ['commits', 'Commits'],
  ['operations', 'Operations'],
  ['health', 'Health'],
] as const;

function TokenButton() {
  const [has, setHas] = useState(getToken() !== null);
  const change = () => {
    const t = window.prompt('Bearer token for this server (empty: none)', '');
    if (t === null) return;
    setToken(t.trim() || null);
    setHas(t.trim() !== '');
    location.reload();
  };
  return (
    <button class="token" onClick={change} title="The bearer token the page sends">
      Token: {has ? 'set' : 'none'}
    </button>
  );
}

function Page({ route }: { route: string[] }) {
  const [view, id] = route;
  switch (view) {
    case 'commits':
      return <CommitsView selected={id ?? null} />;
    case 'operations':
      return <OperationsView selected={id ?? null} />;
    case 'recovery':
      return <RecoveryView opId={id ?? ''} />;
    case 'health':
      return <HealthView />;
    default:
      return <QueryView />;
  }
}

function App() {
  const route = useRoute();
  const current = route[0] === 'recovery' ? 'operations' : (route[0] ?? 'query');
  return (
    <>
      <header>
        <span class="brand">Lancelog Explorer</span>
        <nav>
          {VIEWS.map(([path, label]) => (
            <a href={`#/${path}`} class={current === path ? 'active' : ''} data-view={path}>
              {label}
            </a>
          ))}
        </nav>
        <TokenButton />
      </header>
      <main data-view={current}>
        <Page route={route} />
      </main>
    </>
  );
}

adoptTokenFromUrl();
render(<App />, document.getElementById('app')!);
