export { startSimulator, type SimulatorHandle, type SimulatorOptions } from './server.js';
export {
  ScenarioSchema,
  parseScenarioText,
  selectScenario,
  toolHistory,
  RequestError,
  type Scenario,
  type ScenarioSelection,
  type ToolCallScript,
} from './scenario.js';
export { buildPlan, type ResponsePlan, type PlannedChunk, type Usage } from './plan.js';
export { countTokens, splitIntoTokens, generateWords } from './text-generator.js';
export type { GenerationStats } from './generations.js';
