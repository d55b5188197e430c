export function HarnessListPage() {
  return <h1>Harnesses</h1>;
}
