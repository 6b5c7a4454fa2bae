// Small enhancements; every page works without them.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// Forms that remove something ask first; the question is in the form's data-confirm.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The queue list tells which languages it shows; the language menu's first option follows.
document.body.addEventListener("queue-filtered", (event) => {
  const option = document.querySelector("#language option[value='']");
  if (option && event.detail) {
    option.textContent = event.detail.allLanguages ? option.dataset.all : option.dataset.mine;
  }
});

// A table wider than the screen scrolls inside its own box; that box then takes the
// keyboard focus (arrow keys scroll it) and is named after the table's caption or heading.
function markScrollingTables(root) {
  root.querySelectorAll(".table-scroll").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      if (!box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        const caption = box.querySelector("caption");
        const heading = box.previousElementSibling;
        const name = (caption && caption.textContent.trim()) ||
          (heading && /^H[1-6]$/.test(heading.tagName) && heading.textContent.trim()) || "";
        box.setAttribute("aria-label", name || document.title);
      }
    } else if (box.getAttribute("role") === "region") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
}
document.addEventListener("DOMContentLoaded", () => markScrollingTables(document));
window.addEventListener("resize", () => markScrollingTables(document));
document.body.addEventListener("htmx:afterSettle", (event) => markScrollingTables(event.target));

// Lists that refresh themselves (data-poll-seconds): htmx asks for them again, unless the
// user turned it off (WCAG 2.2.2), the tab is hidden, the keyboard focus is inside the list,
// or it shows a confirmation the user may still act on (data-keep): a refresh never takes
// the focus or the "Open dossier" link away (WCAG 2.4.3). Without a script, nothing polls.
const POLL_CHOICE = "portal.autoRefresh.";
document.querySelectorAll("[data-poll-toggle]").forEach((box) => {
  box.checked = localStorage.getItem(POLL_CHOICE + box.id) !== "off";
  box.addEventListener("change", () => {
    localStorage.setItem(POLL_CHOICE + box.id, box.checked ? "on" : "off");
  });
  const wrapper = box.closest("[data-needs-script]");
  if (wrapper) {
    wrapper.hidden = false;
  }
});

function mayRefresh(list) {
  const toggle = document.getElementById(list.dataset.pollControl || "");
  if (toggle && !toggle.checked) {
    return false;
  }
  if (document.hidden || list.querySelector("[data-keep]")) {
    return false;
  }
  return !list.contains(document.activeElement);
}

setInterval(() => {
  const now = Date.now();
  document.querySelectorAll("[data-poll-seconds]").forEach((list) => {
    const since = Number(list.dataset.polledAt || 0);
    if (!since) {
      list.dataset.polledAt = String(now);
    } else if (now - since >= Number(list.dataset.pollSeconds) * 1000) {
      list.dataset.polledAt = String(now);
      if (mayRefresh(list) && window.htmx) {
        window.htmx.trigger(list, "poll");
      }
    }
  });
}, 1000);

// An inline check answered: the field says whether it is in error, as the page would after
// saving (aria-invalid), so a screen reader tells it when the field has the focus again.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const answer = event.detail && event.detail.elt;
  const content = answer && answer.id && answer.id.endsWith("-feedback-content")
    ? answer : document.getElementById((event.detail.target || {}).id || "");
  if (!content || !content.dataset || content.dataset.invalid === undefined) {
    return;
  }
  const region = content.closest(".feedback");
  const field = region && document.querySelector(`[aria-describedby~="${region.id}"]`);
  if (!field) {
    return;
  }
  if (content.dataset.invalid === "true") {
    field.setAttribute("aria-invalid", "true");
  } else {
    field.removeAttribute("aria-invalid");
  }
  const wrapper = field.closest(".field");
  if (wrapper) {
    wrapper.classList.toggle("has-error", content.dataset.invalid === "true");
  }
});

// A long step (reading a file, importing thousands of rows) shows that it is working; the
// button is disabled after the form is on its way, so a second click sends nothing twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches || !form.matches("form[data-progress]") || event.defaultPrevented) {
    return;
  }
  const bar = form.querySelector("progress");
  if (bar) {
    bar.hidden = false;
  }
  window.setTimeout(() => {
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
  }, 0);
});
