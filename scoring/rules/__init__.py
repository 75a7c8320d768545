"""Rule functions, one module per group of the table (单项否决, 可用性, 更新, 互动, 服务).

Each rule is ``(ctx, params) -> RuleResult``: ``ctx`` carries the facts and the monitoring point,
``params`` is the rule's validated parameter model from the ruleset. No I/O, no clock.
"""
