import type { Usage } from '../api/types';
import type { ChatMessage } from './types';

const integer = new Intl.NumberFormat('en-US');

export const formatTokens = (n: number) => `${integer.format(n)} ${n === 1 ? 'token' : 'tokens'}`;

/** USD with enough digits to see small costs ($0.0004), at most 4 decimals beyond the cents. */
export function formatCost(cost: number | null | undefined): string | null {
  if (cost === null || cost === undefined) return null;
  if (cost === 0) return '$0';
  if (cost < 0.01) return `$${cost.toPrecision(2).replace(/0+$/, '')}`;
  return `$${cost.toFixed(cost < 1 ? 4 : 2)}`;
}

export function usageOf(message: ChatMessage): Usage | undefined {
  const u = message.metadata?.usage;
  return u && typeof u === 'object' && typeof (u as Usage).totalTokens === 'number' ? (u as Usage) : undefined;
}

export interface UsageTotal {
  totalTokens: number;
  cost: number | null;
  messages: number;
}

export function sumUsage(messages: readonly ChatMessage[]): UsageTotal {
  let totalTokens = 0;
  let cost: number | null = null;
  let count = 0;
  for (const m of messages) {
    const u = usageOf(m);
    if (!u) continue;
    count++;
    totalTokens += u.totalTokens;
    if (typeof u.cost === 'number') cost = (cost ?? 0) + u.cost;
  }
  return { totalTokens, cost, messages: count };
}
