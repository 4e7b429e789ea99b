import { InvalidRequestError } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';
import { PROMPT_VALUES, type Prompt } from './request.ts';

function isPrompt(value: string): value is Prompt {
  return (PROMPT_VALUES as readonly string[]).includes(value);
}

/**
 * OIDC Core §3.1.2.1: `prompt` is a space-delimited list of none, login, consent, select_account;
 * `none` may not be combined with any other value. Unknown values are refused rather than
 * silently dropped, so a client never believes it forced a step that did not happen.
 */
export const checkPrompt: AuthorizationCheck = ({ params }, request) => {
  const raw = params.get('prompt');
  if (raw === undefined) return;
  const values = [...new Set(raw.split(' ').filter((v) => v !== ''))];
  for (const value of values) {
    if (!isPrompt(value)) throw new InvalidRequestError(`The prompt value '${value.slice(0, 40)}' is not supported.`);
  }
  const prompts = values.filter(isPrompt);
  if (prompts.includes('none') && prompts.length > 1) {
    throw new InvalidRequestError("prompt=none cannot be combined with other prompt values (OIDC Core §3.1.2.1).");
  }
  request.prompt = prompts;
};
