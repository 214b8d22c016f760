/*
 * Conditions of a survey on the offline tablet: evaluates the expression trees the API sends
 * (proxima.needs.expressions.parse, as nested arrays), exactly as proxima.needs.expressions.evaluate
 * does on the server. The server parses; the tablet only evaluates, so there is one parser, and
 * tests/needs/test_offline_conditions.py runs both evaluators on the same cases.
 */
(function (root) {
  "use strict";

  var NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

  // Python's str() of a value: numbers are floats there (2 -> "2.0"), booleans "True"/"False".
  function pyStr(value) {
    if (typeof value === "boolean") return value ? "True" : "False";
    if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(1) : String(value);
    return String(value);
  }

  function toNumber(value) {
    if (typeof value === "boolean") return value ? 1 : 0;
    if (typeof value === "number") return value;
    return NUMBER.test(String(value)) ? Number(String(value).trim()) : null;
  }

  function truthy(value) {
    if (typeof value === "boolean") return value;
    if (typeof value === "number") return value !== 0;
    return value !== "";
  }

  function compare(op, left, right) {
    var a, b;
    if (typeof left === "number" || typeof right === "number") {
      a = toNumber(left);
      b = toNumber(right);
      if (a === null || b === null) return op === "!=";
    } else {
      a = pyStr(left);
      b = pyStr(right);
      if (op !== "=" && op !== "!=") {
        a = toNumber(a);
        b = toNumber(b);
        if (a === null || b === null) return false;
      }
    }
    switch (op) {
      case "=": return a === b;
      case "!=": return a !== b;
      case "<": return a < b;
      case "<=": return a <= b;
      case ">": return a > b;
      default: return a >= b;
    }
  }

  function words(value) {
    return pyStr(value).split(/\s+/).filter(function (w) { return w !== ""; });
  }

  function value(node, answers, current) {
    var kind = node[0];
    if (kind === "ref") return answers[node[1]] || "";
    if (kind === "current") return current;
    if (kind === "number" || kind === "text" || kind === "bool") return node[1];
    if (kind === "cmp") return compare(node[1], value(node[2], answers, current), value(node[3], answers, current));
    if (kind === "and") return truthy(value(node[1], answers, current)) && truthy(value(node[2], answers, current));
    if (kind === "or") return truthy(value(node[1], answers, current)) || truthy(value(node[2], answers, current));
    var name = node[1];
    var args = node.slice(2);
    if (name === "not") return !truthy(value(args[0], answers, current));
    if (name === "selected") return words(value(args[0], answers, current)).indexOf(pyStr(value(args[1], answers, current))) !== -1;
    if (name === "count-selected") return words(value(args[0], answers, current)).length;
    return Array.from(pyStr(value(args[0], answers, current))).length; // string-length
  }

  /* Whether the expression tree holds; an empty tree (no condition) always holds. */
  function holds(tree, answers, current) {
    if (!tree) return true;
    return truthy(value(tree, answers, current === undefined ? "" : current));
  }

  var api = { holds: holds };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.ProximaConditions = api;
})(this);
