// "增加候选人": clone the empty candidate row (a <template>) and bump the formset's TOTAL_FORMS.
(function () {
  var button = document.getElementById("add-candidate");
  if (!button) return;
  button.addEventListener("click", function () {
    var prefix = button.dataset.prefix;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById("candidate-template");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    document.getElementById("candidate-rows").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  });
})();
