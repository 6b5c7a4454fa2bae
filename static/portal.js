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
