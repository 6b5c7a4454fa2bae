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
