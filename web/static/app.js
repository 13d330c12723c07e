// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { ev.preventDefault(); return; }
  var button = form.querySelector("button[data-busy]");
  if (button) { button.disabled = true; button.textContent = button.getAttribute("data-busy"); }
});
// A pending draft page asks the server again every 2 s until the draft is there.
(function () {
  var pending = document.querySelector("[data-poll]");
  if (!pending) { return; }
  window.setTimeout(function () { window.location.reload(); }, 2000);
})();
