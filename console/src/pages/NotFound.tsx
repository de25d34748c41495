import { hrefFor } from '../lib/router';
import { useApp } from '../ui/context';

// A path under /console/ that names no page this credential has: said plainly, with a way
// back, instead of showing another page in its place.
export function NotFoundPage(props: { path: string }) {
  const app = useApp();
  return (
    <section data-testid="not-found">
      <div class="page-head">
        <h1>Page not found</h1>
      </div>
      <p>
        There is no page at <code>{props.path}</code> for this sign-in.
      </p>
      <p>
        <a
          href={hrefFor('dashboard')}
          onClick={(e) => {
            e.preventDefault();
            app.navigate('dashboard');
          }}
        >
          Go to the dashboard
        </a>
      </p>
    </section>
  );
}
