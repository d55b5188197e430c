export function ChatPage({ conversationId }: { conversationId: string }) {
  return <h1>Conversation {conversationId}</h1>;
}
