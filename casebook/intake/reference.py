"""Reference data every installation starts with: the topics and the desks (docs/rules.md)."""

from __future__ import annotations

TOPICS: list[tuple[str, str]] = [
    ("management", "経営全般"),
    ("management_improvement", "経営改善"),
    ("finance", "資金繰り・財務"),
    ("labour", "労務・人材"),
    ("marketing", "マーケティング"),
    ("sales_channels", "販路開拓"),
    ("product_development", "新商品・新製品開発"),
    ("quality_process", "品質・工程管理"),
    ("production_technology", "生産・加工技術"),
    ("ip_patent", "特許・実用新案"),
    ("ip_trademark", "商標"),
    ("ip_design", "意匠"),
    ("trade_export", "海外展開・輸出"),
    ("subcontracting_dispute", "取引トラブル（下請取引）"),
    ("succession", "事業承継"),
    ("closure", "廃業"),
    ("startup", "創業"),
    ("digital", "IT・デジタル化"),
    ("grants", "補助金・助成金"),
]

# code, Japanese name, English name, default confidentiality
DESKS: list[tuple[str, str, str, str]] = [
    ("yorozu", "よろず支援拠点", "One-stop business consultation hub", "normal"),
    ("ip", "知財総合支援窓口", "IP comprehensive support desk", "confidential"),
    ("subcontract", "取引かけこみ寺", "Trade-practice dispute desk", "normal"),
    ("trade", "貿易投資相談", "Trade and investment consultation", "normal"),
    ("dispatch", "エキスパート派遣", "SME expert dispatch program office", "normal"),
    ("matching", "受発注マッチング", "Order and supplier matching", "normal"),
]
