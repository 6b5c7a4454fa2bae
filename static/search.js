// Arrow keys through the header search's results; Escape goes back to the search box.
// Without this script the results are an ordinary list of links (Tab and Enter).
(() => {
  const links = () =>
    Array.from(document.querySelectorAll("#header-search-results [data-search-results] a"));

  document.addEventListener("keydown", (event) => {
    const box = document.getElementById("header-search");
    if (!box) {
      return;
    }
    const list = links();
    const at = list.indexOf(document.activeElement);
    if (event.target === box && event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      list[0].focus();
    } else if (at >= 0 && event.key === "ArrowDown") {
      event.preventDefault();
      list[Math.min(at + 1, list.length - 1)].focus();
    } else if (at >= 0 && event.key === "ArrowUp") {
      event.preventDefault();
      (at === 0 ? box : list[at - 1]).focus();
    } else if (at >= 0 && event.key === "Escape") {
      event.preventDefault();
      box.focus();
    }
  });
})();
