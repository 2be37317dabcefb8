// The profile list (#profiles) and its selection.

import { stateLabel } from "./format";
import { byId } from "./layout";
import type { ProfileSummary, Snapshot } from "./types";

export class ProfileList {
  private list: HTMLUListElement;
  private empty: HTMLElement;
  private profiles: ProfileSummary[] = [];
  /** The selected profile's UUID. */
  selected: string | null = null;

  constructor(
    root: ParentNode,
    private onSelect: () => void,
  ) {
    this.list = byId<HTMLUListElement>(root, "profiles");
    this.empty = byId(root, "no-profiles");
    this.list.addEventListener("click", (e) => {
      const li = (e.target as Element).closest<HTMLElement>("li[data-uuid]");
      if (li) this.select(li.dataset.uuid ?? null);
    });
    this.list.addEventListener("keydown", (e) => this.key(e));
  }

  /** The selected profile, if any. */
  current(): ProfileSummary | undefined {
    return this.profiles.find((p) => p.uuid === this.selected);
  }

  /** Shows `profiles`; the one `snapshot` is about carries its state. */
  render(profiles: ProfileSummary[], snapshot: Snapshot | null): void {
    this.profiles = profiles;
    const active = snapshot?.profile?.uuid;
    if (!profiles.some((p) => p.uuid === this.selected)) {
      this.selected = profiles.find((p) => p.uuid === active)?.uuid ?? profiles[0]?.uuid ?? null;
    }
    this.empty.hidden = profiles.length > 0;
    this.list.replaceChildren(
      ...profiles.map((p) => {
        const li = document.createElement("li");
        li.id = `profile-${p.uuid}`;
        li.dataset.uuid = p.uuid;
        li.setAttribute("role", "option");
        // One stop in the tab order: the selected profile (arrows move).
        li.tabIndex = p.uuid === this.selected ? 0 : -1;
        li.setAttribute("aria-selected", String(p.uuid === this.selected));
        li.setAttribute("aria-label", `${p.name}, ${p.gateway}`);
        const name = document.createElement("span");
        name.className = "profile-name";
        name.textContent = p.name;
        const gateway = document.createElement("span");
        gateway.className = "profile-gateway";
        gateway.textContent = p.gateway;
        const state = document.createElement("span");
        state.className = "profile-state";
        if (snapshot && p.uuid === active && snapshot.state !== "disconnected") {
          state.textContent = stateLabel(snapshot.state);
          state.dataset.state = snapshot.state;
        }
        li.append(name, gateway, state);
        return li;
      }),
    );
  }

  private select(uuid: string | null): void {
    this.selected = uuid;
    for (const li of this.list.querySelectorAll<HTMLElement>("li[data-uuid]")) {
      li.setAttribute("aria-selected", String(li.dataset.uuid === uuid));
      li.tabIndex = li.dataset.uuid === uuid ? 0 : -1;
    }
    this.onSelect();
  }

  private key(e: KeyboardEvent): void {
    const items = [...this.list.querySelectorAll<HTMLElement>("li[data-uuid]")];
    const i = items.findIndex((li) => li.dataset.uuid === this.selected);
    const moves: Record<string, number> = {
      ArrowDown: i + 1,
      ArrowUp: i - 1,
      Home: 0,
      End: items.length - 1,
    };
    const next = moves[e.key];
    if (next === undefined || !items[next]) return;
    e.preventDefault();
    items[next].focus();
    this.select(items[next].dataset.uuid ?? null);
  }
}
