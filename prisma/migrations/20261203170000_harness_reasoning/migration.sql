-- A harness's reasoning effort ("low", "medium" or "high"), sent to the LLM provider with each call of its runs; NULL
-- (every existing harness) asks for no thinking. The gateway validates the value; the API presents it as
-- `reasoning: {effort}` or `reasoning: null`.
ALTER TABLE "harnesses" ADD COLUMN "reasoning_effort" TEXT;
