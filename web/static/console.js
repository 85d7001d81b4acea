// Staff console: small conveniences only; every page works without this file.
(function () {
  "use strict";
  // Copy a unit link: <button data-copy="#input-id">
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) { return; }
    var done = function () {
      var old = button.textContent;
      button.textContent = "已复制";
      setTimeout(function () { button.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });
  // Filter the unit picker rows: <input data-filter="#picker-id">
  document.addEventListener("input", function (event) {
    var target = event.target.getAttribute && event.target.getAttribute("data-filter");
    if (!target) { return; }
    var word = event.target.value.trim().toLowerCase();
    document.querySelectorAll(target + " .row").forEach(function (row) {
      row.style.display = !word || row.textContent.toLowerCase().indexOf(word) >= 0 ? "" : "none";
    });
  });
  // One unit cannot be both lead and co-unit: ticking one clears the other.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches(".unit-picker input[type=checkbox]")) { return; }
    if (!box.checked) { return; }
    box.closest(".row").querySelectorAll("input[type=checkbox]").forEach(function (other) {
      if (other !== box) { other.checked = false; }
    });
  });
  // Ask before actions that cannot be undone: <form data-confirm="...">
  document.addEventListener("submit", function (event) {
    var text = event.target.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });
}());
