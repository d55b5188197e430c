import { Link } from 'wouter';

export function NotFoundPage() {
  return (
    <section className="page-error">
      <h1>Page not found</h1>
      <p>
        <Link href="/">Back to your conversations</Link>
      </p>
    </section>
  );
}
