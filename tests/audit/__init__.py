"""An independent auditor of plan answers: the rules a corrective-exercise specialist grades by (README.md).

Nothing here imports app.domain or app.services to decide whether a rule holds: the knowledge is read from the
seed YAML files and every rule is re-derived from the request and the JSON answer."""
