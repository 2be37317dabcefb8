// Finding the layout's elements (its own module: the views that keep
// their markup beside their code import it without a cycle).

/** An element the layout must have. */
export function byId<T extends HTMLElement = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector<T>(`#${id}`);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}
