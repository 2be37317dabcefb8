// What a person pastes into the import path field (#import-path): a plain
// path, the same in quotes (as shells and some file managers copy it), or a
// file:// URI (what file managers put on the clipboard or drop as text).

/** The file path `text` names, or `null` when it names none. */
export function profilePath(text: string): string | null {
  let s = text.trim();
  const quoted = /^(['"])(.*)\1$/.exec(s);
  if (quoted) s = quoted[2].trim();
  if (s.toLowerCase().startsWith("file://")) {
    const uri = s.slice("file://".length);
    // file:///path or file://localhost/path; another host is not a local file
    const slash = uri.indexOf("/");
    if (slash < 0) return null;
    const host = uri.slice(0, slash);
    if (host !== "" && host.toLowerCase() !== "localhost") return null;
    try {
      s = decodeURIComponent(uri.slice(slash));
    } catch {
      return null;
    }
  }
  return s === "" ? null : s;
}
