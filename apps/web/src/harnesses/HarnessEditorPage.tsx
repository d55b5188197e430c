export function HarnessEditorPage({ harnessId }: { harnessId: string | null }) {
  return <h1>{harnessId ? 'Edit harness' : 'New harness'}</h1>;
}
