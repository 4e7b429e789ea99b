export * from './errors/oauth-error.ts';
export * from './errors/codes.ts';
export * from './constants.ts';
export * from './scope.ts';
