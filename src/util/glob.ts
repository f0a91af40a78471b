/**
 * OpenSSH-style glob (`*` any run, `?` one character, nothing else special) as an
 * anchored RegExp. Written once: env_vars exclude_patterns (case-sensitive names) and
 * known_hosts / ssh_config host patterns (case-insensitive) both use it.
 */
export function globToRegExp(glob: string, options: { ignoreCase?: boolean } = {}): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, options.ignoreCase === true ? 'i' : '');
}
