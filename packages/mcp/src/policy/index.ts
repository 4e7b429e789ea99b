/** Cedar policies (RS-5): principal = the agent for the user, action = the tool, resource = the entity touched. */
export { createCedarPolicyEngine, type CedarEngineOptions, type CedarPolicyEngine } from './engine.ts';
export { loadPolicyFiles, parsePolicyText, PolicyLoadError, type LoadedPolicies } from './load.ts';
export { DEFAULT_ENTITY_TYPES, entityValue, toCedarValue, type EntityTypes, type UserAttributes } from './entities.ts';
