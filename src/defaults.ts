/**
 * The defaults every layer, the API, the CLI and the server share: one constant each,
 * so a command, a route and an API call that name no branch or actor agree.
 */

/** The branch every repo starts with, and the one a write or read that names none uses. */
export const DEFAULT_BRANCH = 'main';

/** The actor a write records when its caller names none. */
export const DEFAULT_ACTOR = 'lancelog';
