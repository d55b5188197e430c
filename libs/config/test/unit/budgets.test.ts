import { loadConfig } from '../../src/index.js';

describe('HARNESS_DEFAULT_MONTHLY_BUDGET_USD', () => {
  test('unset or empty: no default budget (unlimited)', () => {
    expect(loadConfig({}, 'chat').budgets.defaultMonthlyUsd).toBeNull();
    expect(loadConfig({ HARNESS_DEFAULT_MONTHLY_BUDGET_USD: '' }, 'chat').budgets.defaultMonthlyUsd).toBeNull();
  });

  test('a positive decimal number of dollars', () => {
    expect(loadConfig({ HARNESS_DEFAULT_MONTHLY_BUDGET_USD: '25' }, 'chat').budgets.defaultMonthlyUsd).toBe(25);
    expect(loadConfig({ HARNESS_DEFAULT_MONTHLY_BUDGET_USD: ' 0.00001 ' }, 'gateway').budgets.defaultMonthlyUsd).toBe(0.00001);
  });

  test.each(['0', '0.0', '-5', 'ten', '1e3', '1.123456789', '$5', '99999999999'])('%s is refused with a clear message', (raw) => {
    expect(() => loadConfig({ HARNESS_DEFAULT_MONTHLY_BUDGET_USD: raw }, 'chat')).toThrow(/HARNESS_DEFAULT_MONTHLY_BUDGET_USD: must be/);
  });
});
