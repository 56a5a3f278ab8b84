// Confirmation before destructive actions: <form data-confirm="确定…？">
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Organisation picker (dangjian/orgs/picker.py): the search box next to a bounded <select> is shown only when
// scripts run; it sends its text as `q`, puts the matches into the select, and an empty box restores the options
// the page came with. Enter searches instead of submitting the surrounding form.
function showOrgPickerSearch(root) {
  if (!root || !root.querySelectorAll) {
    return;
  }
  var inputs = Array.prototype.slice.call(root.querySelectorAll("[data-org-picker-search]"));
  if (root.matches && root.matches("[data-org-picker-search]")) {
    inputs.push(root);
  }
  inputs.forEach(function (input) { input.hidden = false; });
}
document.addEventListener("DOMContentLoaded", function () { showOrgPickerSearch(document); });
document.addEventListener("htmx:load", function (event) { showOrgPickerSearch(event.target); });
document.addEventListener("htmx:configRequest", function (event) {
  var input = event.detail.elt;
  if (!input || !input.hasAttribute || !input.hasAttribute("data-org-picker-search")) {
    return;
  }
  var select = document.getElementById(input.getAttribute("data-org-picker-search"));
  if (select && select.orgPickerOptions === undefined) {
    select.orgPickerOptions = select.innerHTML;
  }
  var q = input.value.trim();
  if (!q) {
    event.preventDefault();
    if (select) {
      select.innerHTML = select.orgPickerOptions;
    }
    return;
  }
  event.detail.parameters.q = q;
});
document.addEventListener("keydown", function (event) {
  var input = event.target;
  if (event.key === "Enter" && input.hasAttribute && input.hasAttribute("data-org-picker-search")) {
    event.preventDefault();
    if (window.htmx) {
      window.htmx.trigger(input, "search");
    }
  }
});
