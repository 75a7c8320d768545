"""Labels real guides use for the eight element categories, beyond the farm's."""

from __future__ import annotations

from probes.guides import ELEMENTS, canonical_label, read_guide


def test_service_item_and_service_window_labels() -> None:
    """广东侨网's 办事指引 pages name the item under 服务事项 and the place under 办事窗口 (a
    hand-written page in that shape: each label a <strong> paragraph, its value in the next)."""
    assert canonical_label("服务事项") == "事项名称"
    assert canonical_label("办事窗口") == "办理地点"
    html = """<html><head><title>某证明办理</title></head><body>
    <h3>某证明办理</h3><div class="zw">
    <p><strong>服务事项</strong></p><p>某证明办理</p>
    <p><strong>办理条件</strong></p><p>户籍在本县的申请人</p>
    <p><strong>所需材料</strong></p><p>居民户口簿</p>
    <p><strong>办理流程</strong></p><p>申请、审核、开具证明</p>
    <p><strong>办事窗口</strong></p><p>县政务服务中心侨务窗口</p>
    <p>工作时间：正常工作日</p><p>联系电话：0000-1234567</p>
    <p><strong>办理依据</strong></p><p>《某某条例》</p></div></body></html>"""
    got = read_guide(html, "http://www.example-county.gov.cn/bszy/content/post_1.html")
    assert got.present["事项名称"] == "服务事项"
    assert got.present["办理地点"] == "办事窗口"
    assert sorted(got.present) == sorted(ELEMENTS)
    assert got.missing == []
