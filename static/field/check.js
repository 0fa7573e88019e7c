// The answer to an on-site check: what the officer found (核实: real / not found / duplicate of …;
// 核查: fixed / not fixed), a note and photos (POST /api/v1/checks/<id>/report/).
(function () {
  "use strict";
  var app = window.FieldApp;
  var form = document.getElementById("check-form");
  var duplicatePart = document.getElementById("duplicate-part");

  function showDuplicate() {
    if (!duplicatePart) return;
    var chosen = form.querySelector("input[name=outcome]:checked");
    duplicatePart.hidden = !(chosen && chosen.value === "duplicate");
    form.elements.duplicate_of.required = !duplicatePart.hidden;
  }
  form.addEventListener("change", showDuplicate);
  showDuplicate();

  app.bindForm(form, {
    kind: "check",
    url: app.config.reportUrl,
    label: function () { return app.text.check + ": " + document.querySelector(".field-issue h1").textContent; },
    prepare: function (fields) {
      var duplicate = fields.some(function (field) { return field[0] === "outcome" && field[1] === "duplicate"; });
      return fields.filter(function (field) { return duplicate || field[0] !== "duplicate_of"; });
    },
    filled: showDuplicate,
  });
})();
