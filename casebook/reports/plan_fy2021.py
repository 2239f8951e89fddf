"""The targets of the FY2021 (令和3年度) business plan, as plan targets: (metric, target, where
the plan states it). `manage.py load_plan_targets` loads them; the demo carries them over as
this year's plan. Metrics: `casebook.reports.metrics.known()`."""

from __future__ import annotations

from decimal import Decimal

PLAN_FISCAL_YEAR = 2021

FY2021_TARGETS: tuple[tuple[str, Decimal, str], ...] = (
    ("dispatch_days.expert", Decimal(800), "中小企業エキスパート派遣事業 イ エキスパート派遣"),
    (
        "dispatch_days.expert.covid",
        Decimal(40),
        "同 ※うち新型コロナウィルス関連支援枠",
    ),
    (
        "dispatch_days.innovation_follow_up",
        Decimal(50),
        "経営革新フォローアップ専門家派遣事業 ア 専門家派遣日数",
    ),
    ("satellites", Decimal(10), "よろず支援拠点事業 オ サテライト拠点の開設"),
    ("activities.partner_training", Decimal(2), "よろず支援拠点事業 ウ パートナー制度研修会"),
    ("activities.test_marketing", Decimal(2), "よろず支援拠点事業 エ テストマーケティング会"),
    ("activities.trade_fair_support", Decimal(4), "海外展開支援 イ 展示商談会への出展支援"),
    ("activities.ec_site_support", Decimal(2), "海外展開支援 ウ EC サイトの活用"),
    ("activities.trade_practice_course", Decimal(1), "海外展開支援 キ 貿易実務研修の開催"),
    ("activities.specialised_trade_fair", Decimal(3), "受発注マッチング事業 イ 専門展示会への出展"),
    (
        "activities.regional_business_meeting",
        Decimal(1),
        "受発注マッチング事業 ウ 広域商談会の開催",
    ),
    (
        "activities.proposal_business_meeting",
        Decimal(6),
        "受発注マッチング事業 エ 提案型商談会の開催",
    ),
    (
        "activities.business_info_exchange",
        Decimal(1),
        "受発注マッチング事業 オ ビジネス情報交換会の開催",
    ),
    (
        "activities.order_trade_meeting",
        Decimal(3),
        "受発注マッチング事業 コ 受発注取引に係る会議及び研修",
    ),
    ("activities.seeds_presentation", Decimal(2), "いばらき知財戦略推進事業 エ シーズ発表会"),
    ("activities.seeds_review", Decimal(5), "いばらき知財戦略推進事業 オ シーズ実用化検討会"),
    (
        "activities.open_patent_registration",
        Decimal(100),
        "いばらき知財戦略推進事業 イ 開放特許の登録",
    ),
    (
        "activities.patent_brokerage",
        Decimal(24),
        "いばらき知財戦略推進事業 ウ 特許技術の斡旋・仲介",
    ),
    ("foreign_filings.patent", Decimal(5), "外国出願支援事業 ア 海外での特許取得"),
    ("foreign_filings.utility_model", Decimal(1), "外国出願支援事業 イ 海外での実用新案取得"),
    ("foreign_filings.design", Decimal(1), "外国出願支援事業 ウ 海外での意匠取得"),
    ("foreign_filings.trademark", Decimal(2), "外国出願支援事業 エ 海外での商標取得"),
    (
        "foreign_filings.anti_squatting_trademark",
        Decimal(1),
        "外国出願支援事業 オ 海外での冒認対策商標取得",
    ),
    ("activities.newsletter", Decimal(48), "中小企業情報発信事業 ウ メールマガジンによる情報提供"),
)
