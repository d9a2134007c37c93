// The phone's Back button walks the page's own views: each tab and each opened case is an entry in the
// browser's history, with the view in the address (/m/, /m/#mine, /m/#tasks, /m/#case-123), so that Back goes
// from a case to the list and from a tab to the one before, and a reload opens the same view. The fragment
// never reaches the server or the service worker (its cached shell is /m/ whatever follows the #).
const TABS = ["report", "mine", "tasks"];

/** The view an address names: {tab, caseId} (a case is shown in "my cases"). */
export function viewOf(hash) {
  const open = /^#case-(\d+)$/.exec(hash);
  if (open) return { tab: "mine", caseId: Number(open[1]) };
  const tab = hash.slice(1);
  return { tab: TABS.includes(tab) ? tab : "report", caseId: null };
}

/** The view in the address now. */
export const currentView = () => viewOf(location.hash);

export const sameView = (a, b) => a.tab === b.tab && (a.caseId || null) === (b.caseId || null);

function address(view) {
  if (view.caseId) return `#case-${view.caseId}`;
  return view.tab === "report" ? location.pathname + location.search : `#${view.tab}`;
}

/** A new history entry for a view the worker went to; ``fromList``: a case opened from the list, whose own
 * back button is the browser's Back. */
export function pushView(view, { fromList = false } = {}) {
  history.pushState({ tab: view.tab, caseId: view.caseId || null, fromList }, "", address(view));
}

/** The current entry names this view instead (a case that could not be opened, an unknown address). */
export function replaceView(view) {
  history.replaceState({ tab: view.tab, caseId: view.caseId || null }, "", address(view));
}

/** The current entry is a case opened from the list just before it. */
export const openedFromList = () => Boolean(history.state?.fromList);
