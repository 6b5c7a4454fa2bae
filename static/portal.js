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
