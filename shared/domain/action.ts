/** The action grammar: what an action name may be (`projects:delete`, `prod:debug`). */

export const MAX_ACTION_LENGTH = 200;
export const ACTION_PATTERN = /^[A-Za-z0-9_.:/-]+$/;
/** What `ACTION_PATTERN` allows, in words, for error messages. */
export const ACTION_CHARACTERS = 'letters, digits and : . _ - /';
