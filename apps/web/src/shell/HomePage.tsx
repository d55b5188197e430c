export function HomePage() {
  return <h1>Harness</h1>;
}
