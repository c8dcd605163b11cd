// Fields shown only when another field has a given value, and repeated groups.
(function () {
  function refresh(form) {
    form.querySelectorAll("[data-visible-when]").forEach(function (el) {
      var other = form.querySelector('[name="' + el.dataset.visibleWhen + '"]');
      el.hidden = !other || other.value !== el.dataset.equals;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.task-form").forEach(function (form) {
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
      form.querySelectorAll(".add-row").forEach(function (button) {
        button.addEventListener("click", function () {
          var group = button.closest("fieldset");
          var rows = group.querySelectorAll(".group-row").length;
          var row = document.createElement("div");
          row.className = "group-row";
          row.innerHTML = group.querySelector("template").innerHTML.replace(/__i__/g, rows);
          button.before(row);
        });
      });
    });
  });
})();
