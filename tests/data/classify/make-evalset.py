#!/usr/bin/env python3
"""make-evalset.py -- the classification evaluation set of dangan.

Writes, for every document type of the power-supply catalogue
(config/doctypes/power-supply) and for an "other" class of unrelated text,
N born-digital documents (TYPE-NN.txt) with their ground truth
(TYPE-NN.truth.json: {"type", "fields", "variant", ...}), made from
templates with varied field values (户号, names, addresses, dates in
several Chinese forms, capacities, amounts), layouts and wordings.  The
"other" class is excerpts of the project's shared source texts
(../shared/seeds/*.txt).  Everything comes from a fixed seed: the same
command writes the same bytes.

    make-evalset.py [--out DIR] [--seeds DIR] [--per-type N]
        writes the texts and truth files (default: this directory)
    make-evalset.py --scans DIR --mkpages PATH [--jobs N] [--out DIR]
        renders the texts found in --out as simulated scans with
        mkpages.sh (one A4 page a document), named
        DIR/TYPE-NN-PROFILE.{png,tif,jpg} with DIR/TYPE-NN-PROFILE.gt.txt

Scans: mkpages.sh joins the lines of its input, cuts it into pages of
CHARS_PER_PAGE characters and lines of CHARS_PER_LINE, and gives page n
the degradation profile n mod 5 (clean, skew, noisy, lowres, jpeg) and
font n mod 2.  The ten documents of a type therefore go into one input,
each padded to exactly CHARS_PER_PAGE characters (ideographic spaces,
which render as blank lines, before the page footer), so that each
document is one page and each type gets every profile in both fonts; the
order inside a type rotates, so that a given document number does not
always get the same profile; the line width varies by type.
Python 3 standard library only.
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

SEED = 20240605
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILES = ["clean", "skew", "noisy", "lowres", "jpeg"]

# ---------------------------------------------------------------- values --
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华国庆志强海燕红梅文斌晓东春生玉兰俊峰雪梅德胜立新永红振华淑珍宏伟丽华金凤建国卫东"
CITIES = [
    ("浙江省", "杭州市", ["西湖区", "拱墅区", "余杭区", "萧山区"], "0571"),
    ("江苏省", "南京市", ["鼓楼区", "江宁区", "玄武区", "浦口区"], "025"),
    ("山东省", "东营市", ["东营区", "河口区", "垦利区", "广饶县"], "0546"),
    ("河南省", "郑州市", ["金水区", "二七区", "中原区", "管城回族区"], "0371"),
    ("四川省", "成都市", ["武侯区", "成华区", "双流区", "郫都区"], "028"),
    ("湖北省", "武汉市", ["江汉区", "洪山区", "武昌区", "汉阳区"], "027"),
    ("福建省", "泉州市", ["丰泽区", "鲤城区", "晋江市", "南安市"], "0595"),
    ("新疆维吾尔自治区", "昌吉市", ["宁边路街道", "延安北路街道", "北京南路街道"], "0994"),
]
ROADS = ["人民路", "解放路", "建设大道", "文三路", "中山北路", "长江路", "黄河路", "幸福街", "工业园路", "滨河路",
         "兴业大道", "光明路", "新华街", "胜利路", "振兴路", "花园路", "育才路", "民主路"]
VILLAGES = ["李家村", "新塘村", "东岗村", "柳树湾村", "前进村", "石桥村"]
BRANDS = ["宏达", "鑫源", "恒泰", "华联", "金盛", "瑞丰", "永信", "天成", "汇通", "博远", "盛世", "东方", "新星", "凯越",
          "明辉", "润泽", "嘉禾", "中科", "广源", "顺达"]
TRADES = ["纺织", "机械制造", "食品", "建材", "物业管理", "塑料制品", "冷链物流", "电子科技", "印染", "酒店管理",
          "混凝土", "包装材料", "农业开发", "医疗器械", "汽车服务", "商贸"]
SUFFIXES = ["有限公司", "有限公司", "有限责任公司", "股份有限公司", "厂"]
INSTITUTIONS = ["第二中学", "人民医院", "社区卫生服务中心", "水务集团第三水厂", "中心小学", "体育馆"]
KVAS = [50, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500]
LV_KW = [4, 6, 8, 10, 12, 15, 20, 30, 40]
UNITS = ["国网{p}电力有限公司{c}供电公司", "{c}供电公司", "国网{c}供电公司营销部（客户服务中心）", "{c}供电公司{d}供电中心"]
HZ_DIGITS = "〇一二三四五六七八九"


def hz_num(n):
    """1..31 in Chinese numerals as written in dates: 五, 十二, 二十一, 三十."""
    if n < 10:
        return HZ_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else HZ_DIGITS[tens]) + "十" + (HZ_DIGITS[ones] if ones else "")


def fmt_date(d, style):
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "cn0":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "iso":
        return d.isoformat()
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "hanzi":
        return "".join(HZ_DIGITS[int(c)] for c in str(d.year)) + "年" + hz_num(d.month) + "月" + hz_num(d.day) + "日"
    raise ValueError(style)


DATE_STYLES = ["cn", "cn0", "iso", "slash", "hanzi"]


def fmt_kva(v, r):
    return r.choice([f"{v}kVA", f"{v} kVA", f"{v}千伏安", f"{v}KVA", f"{v}kVA"])


def fmt_amount(a, r):
    s = f"{a:.2f}"
    c = f"{a:,.2f}"
    return r.choice([f"¥{c}", f"{s}元", f"人民币{s}元", f"{c}元", f"￥{s}"])


# labels whose value goes into the truth wherever a template prints them
RECORDED = {"用电地址": "用电地址", "工单编号": "工单编号", "合同编号": "合同编号"}


class Ctx:
    """The random values of one document."""

    def __init__(self, r):
        self.r = r
        prov, city, dists, area = r.choice(CITIES)
        self.prov, self.city, self.dist, self.area = prov, city, r.choice(dists), area
        self.huhao = self.new_huhao()
        self.company = r.random() < 0.55
        if self.company:
            kind = r.random()
            if kind < 0.8:
                self.name = city[:-1] + r.choice(BRANDS) + r.choice(TRADES) + r.choice(SUFFIXES)
            else:
                self.name = city[:-1] + "市" + r.choice(INSTITUTIONS)
        else:
            self.name = self.person()
        self.contact = self.person() if self.company else self.name
        self.addr = self.address()
        self.phone = r.choice(["13", "15", "18", "17"]) + "".join(r.choice("0123456789") for _ in range(9))
        self.landline = f"{area}-{r.randint(2, 8)}{r.randint(1000000, 9999999)}"[: len(area) + 9]
        self.unit = r.choice(UNITS).format(p=prov[:2] if len(prov) <= 3 else prov[:2], c=city, d=self.dist)
        self.hv = self.company and r.random() < 0.7
        self.kva = r.choice(KVAS) if self.hv else r.choice(LV_KW)
        self.base = datetime.date(2012, 1, 1) + datetime.timedelta(days=r.randint(0, 365 * 12))
        self.seen = {}  # labelled values printed (RECORDED), for the truth

    def new_huhao(self):
        r = self.r
        first = r.choice("1234567890" if r.random() < 0.1 else "123456789")
        return first + "".join(r.choice("0123456789") for _ in range(9))

    def person(self):
        r = self.r
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice([1, 2, 2])))

    def address(self):
        r = self.r
        if r.random() < 0.15:
            return f"{self.city}{self.dist}{r.choice(VILLAGES)}{r.randint(1, 12)}组{r.randint(1, 99)}号"
        a = f"{self.city}{self.dist}{r.choice(ROADS)}{r.randint(1, 999)}号"
        if r.random() < 0.4:
            a += f"{r.randint(1, 30)}幢{r.randint(1, 6)}单元{r.randint(101, 2808)}室"
        return a

    def date(self, after=0, spread=20):
        return self.base + datetime.timedelta(days=after + self.r.randint(0, spread))

    def ds(self, d, styles=None):
        return fmt_date(d, self.r.choice(styles or DATE_STYLES))

    def cap(self):
        """The capacity as written: kVA for high voltage, kW for low voltage."""
        if self.hv:
            return fmt_kva(self.kva, self.r)
        return f"{self.kva}kW" if self.r.random() < 0.6 else f"{self.kva}千瓦"

    def colon(self):
        return self.r.choice(["：", "：", ":", "： "])

    def kv(self, label, value):
        if label in RECORDED:
            self.seen[RECORDED[label]] = value
        return f"{label}{self.colon()}{value}"

    def row(self, *items):
        sep = self.r.choice(["    ", "      ", "   ", "\t"])
        return sep.join(items)

    def huhao_label(self):
        return self.r.choice(["户号", "户号", "户  号", "客户编号", "用户编号", "户号"])

    def name_label(self, lv_person=False):
        if self.company:
            return self.r.choice(["户名", "客户名称", "户  名", "用户名称"])
        return self.r.choice(["户名", "户  名", "客户名称"])

    def staff(self):
        return self.person()

    def number(self, n):
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def footer(self):
        r = self.r
        return r.choice(["第1页 共1页", "- 1 -", "第 1 页", "（第一联 客户档案联）", "共1页 第1页", "—1—"])


def header(c, title):
    """The issuing unit (often) above the title."""
    lines = []
    if c.r.random() < 0.7:
        lines.append(c.unit)
    lines.append(title)
    return lines


def lay(c, pairs, per_row=None):
    """Fields as a form: one, two or three label-value pairs a line."""
    if per_row is None:
        per_row = c.r.choice([1, 2, 2, 3])
    out = []
    for i in range(0, len(pairs), per_row):
        out.append(c.row(*[c.kv(l, v) for l, v in pairs[i:i + per_row]]))
    return out


def check(c, items, chosen):
    mark = c.r.choice(["√", "☑", "■"])
    return "  ".join((mark if it == chosen else "□") + it for it in items)


# ----------------------------------------------------------- the types ---
# Each generator returns (lines, fields, variant).  fields holds the
# ground truth as the catalogue names it, normalised: dates YYYY-MM-DD,
# capacities in kVA as a number, amounts with two decimals.

def t_APP(c, n):
    r = c.r
    v = n % 3
    d = c.date()
    f = {"户名": c.name, "申请日期": d.isoformat()}
    title = ["用电申请书", "客户申请报装单", "低压居民生活用电申请表" if not c.company else "高压客户用电申请表"][v]
    if v == 2 and c.hv:
        title = "高压客户用电登记表"
    L = header(c, title)
    have_huhao = r.random() < 0.8
    hh = c.huhao if have_huhao else ""
    if have_huhao:
        f["户号"] = c.huhao
    pairs = [(c.huhao_label(), hh or "          "), ("申请编号", c.number(12))]
    pairs.append((r.choice(["户名", "申请户名", "客户名称"]), c.name))
    pairs.append(("用电地址", c.addr))
    f["用电地址"] = c.addr
    pairs.append(("联系人", c.contact))
    pairs.append(("联系电话", c.phone))
    if c.hv:
        pairs.append(("申请容量", c.cap()))
        f["申请容量"] = str(c.kva)
    else:
        pairs.append(("申请容量", c.cap()))
    L += lay(c, pairs)
    L.append("业务类型：" + check(c, ["新装", "增容", "临时用电"], r.choice(["新装", "新装", "增容"])))
    L.append("用电类别：" + check(c, ["居民生活", "一般工商业", "大工业", "农业生产"],
                                  "居民生活" if not c.company else r.choice(["一般工商业", "大工业"])))
    L.append("供电电压：" + check(c, ["0.22kV", "0.4kV", "10kV", "35kV"], "10kV" if c.hv else "0.22kV"))
    if r.random() < 0.6:
        L.append(r.choice(["申请事由：", "用电需求说明："]) + r.choice([
            "新建厂房投产需要，申请新装用电。", "因生产规模扩大，原有容量不足，申请增加用电容量。",
            "新购住宅装修入住，申请安装电能表。", "门面房经营需要，申请办理低压非居民用电。"]))
    L.append("客户承诺：本人（单位）保证所提供的资料真实有效，并遵守国家有关供用电的法律法规。")
    L.append("随附资料：" + r.choice(["身份证复印件、房产证明", "营业执照复印件、授权委托书、用电设备清单",
                                    "法人身份证明、土地使用证明"]))
    L.append(c.row("申请人（签章）：" + c.contact, c.kv(r.choice(["申请日期", "申请时间", "日期"]), c.ds(d))))
    if r.random() < 0.5:
        L.append(c.row("受理人：" + c.staff(), c.kv("受理日期", c.ds(d + datetime.timedelta(days=r.randint(0, 3)))))
                 )
    return L, f, title


def t_AUTH(c, n):
    r = c.r
    d = c.date(30)
    agent = c.person()
    title = r.choice(["授权委托书", "客户委托书", "委托书"])
    L = [title]
    f = {"户名": c.name, "户号": c.huhao, "委托日期": d.isoformat()}
    L += lay(c, [("委托人", c.name), (c.huhao_label(), c.huhao), ("用电地址", c.addr)], r.choice([1, 2]))
    L += lay(c, [("受托人", agent), ("身份证号码", c.number(17) + r.choice("0123456789X")), ("联系电话", c.phone)],
             r.choice([1, 2]))
    what = r.choice(["新装用电", "增容", "更名过户", "销户", "暂停用电"])
    L.append(f"现委托{agent}作为我方代理人，代为办理{what}业务的申请、资料递交、签收及相关手续。")
    L.append("受托人在委托权限内签署的有关文件，委托人均予以承认，并承担相应的法律责任。")
    L.append("委托期限：自签字之日起至该业务办结之日止。受托人无转委托权。")
    L.append(c.row("委托人（签字/盖章）：", "受托人（签字）："))
    L.append(c.kv(r.choice(["委托日期", "日期"]), c.ds(d)))
    return L, f, title


def t_SURVEY(c, n):
    r = c.r
    d = c.date(5)
    title = r.choice(["现场勘查单", "工程勘测单", "营业勘测单", "现场勘查工作单"])
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "勘查日期": d.isoformat(), "用电地址": c.addr}
    pairs = [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr),
             ("申请容量", c.cap()), ("勘查日期", c.ds(d))]
    if c.hv:
        f["申请容量"] = str(c.kva)
    L += lay(c, pairs)
    line = f"{c.dist}{r.choice(['城东', '城西', '开发区', '工业园'])}{r.randint(1, 9)}{r.choice(['号', '#'])}线"
    L.append(c.kv("供电电源", f"10kV {line} {r.randint(1, 60)}号杆" if c.hv else f"{line}{r.randint(1, 9)}号台区公用变压器"))
    L.append(c.kv("计量方式", "高供高计" if c.hv and c.kva >= 315 else ("高供低计" if c.hv else "低供低计")))
    L.append(c.kv("产权分界点", r.choice(["客户进线电缆终端头", "T接点刀闸负荷侧", "电能表出线端"])))
    L.append(c.kv("勘查意见", r.choice(["具备供电条件，同意按上述方案接入。", "现场具备接电条件，建议采用电缆进线。",
                                        "需新建低压线路约80米，具备条件后接入。"])))
    L.append(c.row("勘查人员：" + c.staff() + "、" + c.staff(), "客户签字：" + c.contact))
    return L, f, title


def t_TEST(c, n):
    r = c.r
    d = c.date(40)
    title = r.choice(["电气设备交接试验报告", "变压器试验报告", "电力电缆试验报告", "试验报告"])
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "试验日期": d.isoformat()}
    kva = c.kva if c.hv else r.choice([100, 160, 200])
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("试验日期", c.ds(d)),
                 ("试验性质", r.choice(["交接试验", "预防性试验"])), ("环境温度", f"{r.randint(5, 32)}℃"),
                 ("相对湿度", f"{r.randint(40, 80)}%")])
    L.append(c.kv("被试设备", f"{r.choice(['S13', 'SCB11', 'S11-M'])}-{kva}/10 变压器"))
    L.append(f"绝缘电阻（MΩ）：高压对低压及地 {r.randint(2000, 10000)}  低压对高压及地 {r.randint(1000, 5000)}")
    L.append(f"直流电阻不平衡率：{r.randint(1, 19) / 10:.1f}%    变比误差：{r.randint(1, 4) / 10:.1f}%")
    L.append(f"交流耐压：{r.choice([28, 35, 42])}kV 1min 无闪络击穿")
    L.append("试验结论：" + r.choice(["合格", "所试项目符合GB 50150要求，合格", "试验合格，可以投运"]))
    L.append(c.row("试验人员：" + c.staff(), "审核：" + c.staff(), "试验单位：" + c.city + r.choice(BRANDS) + "电力工程有限公司"))
    return L, f, title


def t_BUILD(c, n):
    r = c.r
    d = c.date(20)
    d2 = d + datetime.timedelta(days=r.randint(10, 60))
    v = n % 2
    title = ["工程施工登记表", "安装调试记录"][v] if r.random() < 0.8 else "客户受电工程施工记录"
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "开工日期": d.isoformat(), "竣工日期": d2.isoformat()}
    L += lay(c, [(c.huhao_label(), c.huhao), ("工程名称", c.name + r.choice(["配电工程", "10kV受电工程", "低压接户工程"])),
                 (c.name_label(), c.name), ("施工单位", c.city + r.choice(BRANDS) + "电力安装有限公司"),
                 ("资质等级", r.choice(["承装（修、试）三级", "承装（修、试）四级", "电力工程施工总承包三级"])),
                 ("施工负责人", c.staff()), ("开工日期", c.ds(d)), ("竣工日期", c.ds(d2))])
    if v == 1:
        L.append("调试项目：" + r.choice(["开关柜传动试验、保护定值校验、相序核对", "电容补偿装置投切调试、计量回路检查"]))
        L.append("调试结果：" + r.choice(["各项动作正确，指示正常。", "调试正常，具备送电条件。"]))
    else:
        L.append("主要工程量：" + r.choice([f"敷设YJV22-8.7/15-3×{r.choice([70, 95, 120])}电缆{r.randint(50, 900)}米",
                                           f"安装箱式变电站1台（{c.kva if c.hv else 200}kVA）", "立杆3基，架设JKLYJ-50导线0.4公里"]))
        L.append("施工情况：按设计图纸施工，隐蔽工程已留影像资料。")
    L.append(c.row("记录人：" + c.staff(), "客户代表：" + c.contact))
    return L, f, title


def t_ACCEPT(c, n):
    r = c.r
    d = c.date(70)
    v = n % 2
    title = ["工程竣工验收报告", "工程验收工作单"][v] if r.random() < 0.8 else "客户受电工程竣工检验报告"
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "验收日期": d.isoformat()}
    pairs = [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr),
             ("受电容量", c.cap()), ("验收日期", c.ds(d))]
    if c.hv:
        f["受电容量"] = str(c.kva)
    if v == 1:
        pairs.insert(0, ("工单编号", c.number(14)))
    L += lay(c, pairs)
    L.append("资料审查：" + r.choice(["竣工图纸、试验报告、设备合格证齐全", "设计、施工、试验资料齐全有效"]))
    L.append("现场检查：" + r.choice(["设备安装符合规程要求，接地电阻" + str(r.randint(1, 4)) + "Ω", "配电室防小动物措施完善，标识齐全"]))
    L.append(r.choice(["验收意见：", "验收结论："]) + r.choice(["验收合格，同意送电。", "经验收合格，同意接电。", "存在缺陷已整改完毕，验收合格。"]))
    L.append(c.row("验收人员：" + c.staff() + "、" + c.staff(), "客户签字：" + c.contact))
    return L, f, title


def t_WORK(c, n):
    r = c.r
    d = c.date(0)
    v = n % 3
    title = ["新装增容工作单", "杂项工作单", "业扩报装工作单"][v]
    if v == 0 and r.random() < 0.4:
        title = "新装工作单"
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "受理日期": d.isoformat()}
    biz = {0: r.choice(["新装", "增容"]), 1: r.choice(["电价变更", "计量装置故障", "换表申请", "资料变更"]),
           2: r.choice(["高压新装", "低压非居民新装", "装表临时用电"])}[v]
    L += lay(c, [("工单编号", c.number(r.choice([12, 14, 16]))), ("业务类型", biz), (c.huhao_label(), c.huhao),
                 (c.name_label(), c.name), ("用电地址", c.addr), ("受理日期", c.ds(d)), ("容量", c.cap())])
    L.append("处理环节：")
    steps = ["业务受理", "现场勘查", "答复供电方案", "装表接电", "资料归档"] if v != 1 else ["受理", "派工", "现场处理", "回访", "归档"]
    for i, s in enumerate(steps):
        L.append(f"  {i + 1}. {s}    处理人：{c.staff()}    {c.ds(d + datetime.timedelta(days=i * r.randint(1, 5)), ['iso', 'slash'])}")
    L.append("备注：" + r.choice(["按时限办结", "客户资料已审核", "流程正常", "无"]))
    return L, f, title


def t_CONTRACT(c, n):
    r = c.r
    d = c.date(50)
    if c.hv:
        title = r.choice(["高压供用电合同", "高压供用电合同", "供用电合同"])
    elif c.company:
        title = r.choice(["低压供用电合同", "供用电合同"])
    else:
        title = r.choice(["居民供用电合同", "低压居民供用电合同", "供用电合同"])
    L = [title]
    f = {"户号": c.huhao, "户名": c.name, "签订日期": d.isoformat()}
    L.append(c.kv("合同编号", f"{c.city[:2]}GY{d.year}-{c.number(5)}"))
    L.append(c.kv("供电人", c.unit))
    L.append(c.kv("用电人", c.name))
    L.append(c.kv(c.huhao_label(), c.huhao))
    L.append(c.kv("用电地址", c.addr))
    L.append("为明确供电人和用电人在电力供应与使用中的权利和义务，根据《中华人民共和国民法典》《电力供应与使用条例》"
             "《供电营业规则》等规定，经双方协商一致，签订本合同。")
    if c.hv:
        L.append(f"第一条 用电容量：用电人合同容量为{c.cap()}，受电变压器{r.randint(1, 3)}台。")
        f["合同容量"] = str(c.kva)
    else:
        L.append(f"第一条 用电容量：用电人报装容量为{c.cap()}。")
    L.append("第二条 供电方式：供电人以" + ("10kV" if c.hv else "220V/380V") + "电压向用电人供电。")
    L.append("第三条 产权分界点：" + r.choice(["以用电人进线电缆终端头为分界点。", "以电能表出线端为分界点，分界点电源侧产权属供电人。"]))
    L.append("第四条 违约责任：任何一方违反本合同约定，应按《供电营业规则》承担违约责任。")
    L.append(f"第五条 合同有效期：{r.choice(['三', '五', '十'])}年，期满双方无异议自动续期。")
    L.append(c.row("供电人（盖章）", "用电人（盖章）"))
    L.append(c.kv(r.choice(["签订日期", "签约日期", "签订时间"]), c.ds(d)))
    return L, f, title


def t_PAYAGR(c, n):
    r = c.r
    d = c.date(60)
    v = n % 3
    title = ["电费交纳协议", "欠费还款协议", "违约金还款协议"][v]
    if v == 0 and r.random() < 0.4:
        title = r.choice(["电费结算协议", "电费缴纳协议"])
    L = [title]
    f = {"户号": c.huhao, "户名": c.name, "签订日期": d.isoformat()}
    L.append(c.kv("甲方（供电人）", c.unit))
    L.append(c.kv("乙方（用电人）", c.name) if r.random() < 0.5 else c.kv("乙方", c.name))
    L.append(c.row(c.kv(c.huhao_label(), c.huhao), c.kv("用电地址", c.addr)))
    L.append(f"根据双方签订的《供用电合同》，经协商一致，就{['电费交纳', '所欠电费的偿还', '电费违约金的偿还'][v]}事宜达成如下协议：")
    if v == 0:
        L.append("一、交费方式：" + r.choice(["银行代扣，乙方开户银行：中国工商银行" + c.city + "分行，账号：" + c.number(19),
                                         "乙方于每月25日前到营业厅或通过网上国网交清当月电费。"]))
        L.append("二、乙方逾期交费的，按《供电营业规则》第九十八条规定加收电费违约金。")
    else:
        amt = r.randint(3000, 400000) + r.randint(0, 99) / 100
        f["金额"] = f"{amt:.2f}"
        L.append(f"一、截至{c.ds(d - datetime.timedelta(days=r.randint(5, 40)))}，乙方{['', '累计拖欠电费', '应交电费违约金'][v]}"
                 f"金额为{fmt_amount(amt, r)}。")
        L.append(f"二、还款计划：乙方分{r.randint(2, 6)}期还款，每期于当月{r.randint(5, 25)}日前交付。")
        L.append("三、乙方未按期还款的，甲方有权依法中止供电。")
    L.append(c.row("甲方（盖章）：", "乙方（盖章）："))
    L.append(c.kv(r.choice(["签订日期", "日期"]), c.ds(d)))
    return L, f, title


def t_INSPECT(c, n):
    r = c.r
    d = c.date(200, 400)
    title = r.choice(["用电检查工作单", "用电检查单", "客户用电安全检查记录", "用电检查结果通知书"])
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "检查日期": d.isoformat()}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr), ("检查日期", c.ds(d)),
                 ("检查类别", r.choice(["定期检查", "专项检查", "保电检查", "季节性安全检查"])), ("用电检查证号", c.number(8))])
    L.append("检查项目：受电设施运行状况、继电保护、自备电源、安全工器具、规章制度执行情况。")
    L.append("检查结果：" + r.choice(["未发现违约用电、窃电行为；", "设备运行正常；", "发现安全隐患2处："]))
    L.append("存在问题及整改要求：" + r.choice(["配电室门窗封堵不严，限15日内整改。", "接地引下线锈蚀，限期整改。", "无"]))
    L.append(c.row("检查人员：" + c.staff() + "、" + c.staff(), "客户签字确认：" + c.contact))
    return L, f, title


def t_VIOLATION(c, n):
    r = c.r
    d = c.date(300, 500)
    v = n % 2
    title = ["违约用电处理通知单", "窃电处理通知书"][v] if r.random() < 0.7 else "违约用电、窃电处理通知单"
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "检查日期": d.isoformat()}
    L.append(c.kv("通知书编号", f"WY{d.year}{c.number(5)}"))
    L.append(f"{c.name}：")
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr), ("检查日期", c.ds(d))],
             r.choice([1, 2]))
    what = (r.choice(["擅自超过合同约定容量用电", "私自改变用电类别", "擅自使用已在供电企业办理暂停手续的设备"])
            if v == 0 else r.choice(["绕越电能计量装置用电", "私拉乱接", "损坏电能表封印"]))
    L.append(f"经我公司用电检查人员现场检查，发现你{'单位' if c.company else '户'}存在{what}的行为。")
    amt = r.randint(500, 90000) + r.choice([0, 0.5, 0.25])
    f["金额"] = f"{amt:.2f}"
    if v == 0:
        L.append(f"依据《供电营业规则》第一百条，应承担违约使用电费{fmt_amount(amt, r)}。")
    else:
        kwh = r.randint(800, 60000)
        L.append(f"认定窃电量{kwh}千瓦时，依据《供电营业规则》第一百零二条，应补交电费并承担违约使用电费，合计{fmt_amount(amt, r)}。")
    L.append("请于接到本通知书之日起7日内到供电营业厅办理。逾期不办理的，将依法中止供电。")
    L.append(c.row("检查人员：" + c.staff(), "客户签收：", c.kv("日期", c.ds(d + datetime.timedelta(days=1)))))
    return L, f, title


def t_OUTAGE(c, n):
    r = c.r
    d = c.date(100, 600)
    v = n % 3
    title = ["停电通知单", "计划停电通知书", "欠费停电通知书"][v]
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "停电日期": d.isoformat()}
    L.append(f"尊敬的客户 {c.name}：" if r.random() < 0.5 else f"{c.name}：")
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr)], r.choice([1, 3]))
    h1 = r.choice([7, 8, 9])
    h2 = h1 + r.randint(3, 9)
    if v == 2:
        amt = r.randint(200, 50000) + r.randint(0, 99) / 100
        f["金额"] = f"{amt:.2f}"
        L.append(f"截至通知日，您户累计欠交电费{fmt_amount(amt, r)}，经多次催交仍未交清。")
        L.append("依据《供电营业规则》第六十六条，我公司将对您户中止供电。")
        L.append(c.kv("停电时间", f"{c.ds(d)} {h1}:00"))
    else:
        L.append(f"因{r.choice(['10kV线路检修', '配电变压器增容改造', '线路迁改工程', '设备预防性试验'])}，需要停电。")
        L.append(c.kv("停电时间", f"{c.ds(d)} {h1}:00至{h2}:00"))
        L.append(c.kv("停电范围", r.choice([f"{c.dist}{r.choice(ROADS)}沿线", f"{r.choice(VILLAGES)}全村", "本台区全部用户"])))
    L.append(c.kv("送电时间", r.choice(["工作结束后立即恢复供电", f"交清欠费及违约金后24小时内恢复供电", f"预计{h2}:00恢复供电"])))
    L.append("如有疑问请拨打95598供电服务热线。特此通知。")
    L.append(c.unit)
    L.append(c.kv("通知日期", c.ds(d - datetime.timedelta(days=r.randint(1, 7)))))
    return L, f, title


def t_REFUND(c, n):
    r = c.r
    d = c.date(400, 800)
    title = r.choice(["退减电量电费核算工作单", "电量电费退补核算工作单", "退补电量电费审批单"])
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "核算日期": d.isoformat()}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("电价类别", r.choice(["一般工商业", "居民生活", "大工业"])),
                 ("核算日期", c.ds(d))])
    L.append("差错原因：" + r.choice(["电能表倍率录入错误", "抄表员估抄", "计量装置故障少计电量", "电价执行错误"]))
    kwh = r.randint(100, 80000)
    price = r.choice([0.5883, 0.6372, 0.7312, 0.538])
    amt = round(kwh * price, 2)
    sign = r.choice(["应退", "应补"])
    f["金额"] = f"{amt:.2f}"
    L.append(f"退补期间：{c.ds(d - datetime.timedelta(days=r.randint(60, 300)), ['iso', 'slash'])}至{c.ds(d - datetime.timedelta(days=5), ['iso', 'slash'])}")
    L.append(f"计算过程：{sign}电量 {kwh}千瓦时 × 电价 {price} 元/千瓦时")
    L.append(c.kv(f"{sign}电费金额", fmt_amount(amt, r)))
    L.append(c.row("核算人：" + c.staff(), "审核人：" + c.staff(), "批准人：" + c.staff()))
    return L, f, title


def t_METER(c, n):
    r = c.r
    d = c.date(0, 3000)
    v = n % 3
    title = ["电能表装拆工作单", "计量装置轮换工作单", "拆表工作单"][v]
    if r.random() < 0.3:
        title = r.choice(["电能计量装置装拆单", "电能表更换记录"])
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "装拆日期": d.isoformat()}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr),
                 ("装拆原因", ["新装", "周期轮换", "销户拆表"][v]), ("装拆日期", c.ds(d))])
    old = f"{r.randint(0, 99999)}.{r.randint(0, 99):02d}"
    new_no = c.number(r.choice([13, 16, 22]))
    if v != 0:
        L.append(f"拆除表：资产编号 {c.number(r.choice([13, 16]))}  示数 {old}  封印号 {c.number(8)}")
    if v != 2:
        L.append(f"装出表：资产编号 {new_no}  型号 {r.choice(['DDZY102', 'DTZY666', 'DSZY331'])}  示数 {r.randint(0, 9)}.{r.randint(0, 99):02d}")
        L.append(f"互感器变比：{r.choice(['无', '100/5', '200/5', '400/5'])}  倍率：{r.choice([1, 20, 40, 80])}")
    L.append("接线检查：" + r.choice(["接线正确，封印完好", "相序正确，已加封"]))
    L.append(c.row("装拆人员：" + c.staff(), "客户签字：" + c.contact))
    return L, f, title


def t_ACCIDENT(c, n):
    r = c.r
    d = c.date(500, 1500)
    title = r.choice(["事故处理工作单", "客户事故调查报告", "用电事故处理记录"])
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "事故日期": d.isoformat()}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr), ("事故日期", c.ds(d))])
    L.append("事故经过：" + r.choice([f"{r.randint(1, 23)}时许，客户配电室10kV进线柜跳闸，造成全厂停电。",
                                      "客户内部低压线路短路引起上级开关越级跳闸。", "雷击导致客户进线避雷器击穿，线路接地。"]))
    L.append("事故原因：" + r.choice(["设备绝缘老化", "小动物进入配电室造成短路", "客户保护定值整定不当", "雷电过电压"]))
    L.append("处理措施：" + r.choice(["更换故障设备，恢复供电", "清理配电室并封堵孔洞，试送成功", "重新整定保护定值"]))
    L.append("防范措施：加强巡视维护，定期开展预防性试验。")
    L.append(c.row("处理人员：" + c.staff(), "客户签字：" + c.contact))
    return L, f, title


def t_ID(c, n):
    """Identity papers: the holder or the unit, never called 户名 on the paper."""
    r = c.r
    v = n % 3
    f = {}
    if v == 0 or not c.company:
        name = c.name if not c.company else c.contact
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=r.randint(0, 365 * 50))
        idno = c.number(17) + r.choice("0123456789X")
        title = r.choice(["居民身份证复印件", "身份证复印件", "居民身份证（正反面复印件）"])
        L = [title]
        L.append(c.row("姓名 " + name, "性别 " + r.choice(["男", "女"]), "民族 汉"))
        L.append("出生 " + f"{birth.year}年{birth.month}月{birth.day}日")
        L.append("住址 " + c.addr)
        L.append("公民身份号码 " + idno)
        L.append("中华人民共和国")
        L.append("居民身份证")
        L.append("签发机关 " + c.city + c.dist[:-1] + "公安分局")
        s = datetime.date(2010, 1, 1) + datetime.timedelta(days=r.randint(0, 3000))
        L.append(f"有效期限 {s.year}.{s.month:02d}.{s.day:02d}-{s.year + 20}.{s.month:02d}.{s.day:02d}")
        f = {"姓名": name, "出生日期": birth.isoformat(), "证件号码": idno}
        variant = "identity card"
    elif v == 1:
        est = datetime.date(1995, 1, 1) + datetime.timedelta(days=r.randint(0, 365 * 25))
        code = "91" + c.number(6) + "MA" + "".join(r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        title = r.choice(["营业执照（副本）复印件", "营业执照"])
        L = [title]
        L.append("统一社会信用代码 " + code)
        L.append(c.kv("名称", c.name) if r.random() < 0.5 else "名    称  " + c.name)
        L.append("类    型  " + r.choice(["有限责任公司（自然人投资或控股）", "股份有限公司", "个人独资企业"]))
        L.append("法定代表人  " + c.contact)
        L.append(f"注册资本  {r.choice([50, 100, 200, 500, 1000, 3000])}万元人民币")
        L.append("成立日期  " + c.ds(est, ["cn", "cn0"]))
        L.append("住    所  " + c.addr)
        L.append("经营范围  " + r.choice(TRADES) + "相关产品的生产、销售。（依法须经批准的项目，经相关部门批准后方可开展经营活动）")
        L.append("登记机关  " + c.city + "市场监督管理局")
        f = {"单位名称": c.name, "成立日期": est.isoformat(), "证件号码": code}
        variant = "business licence"
    else:
        code = c.number(8) + "-" + r.choice("0123456789X")
        title = "组织机构代码证复印件"
        L = [title, "中华人民共和国", "组织机构代码证"]
        L.append("代    码  " + code)
        L.append("机构名称  " + c.name)
        L.append("机构类型  " + r.choice(["企业法人", "事业法人"]))
        L.append("地    址  " + c.addr)
        s = datetime.date(2005, 1, 1) + datetime.timedelta(days=r.randint(0, 3000))
        L.append(f"有效期  自{fmt_date(s, 'cn')}至{fmt_date(s.replace(year=s.year + 4, day=min(s.day, 28)), 'cn')}")
        L.append("颁发单位  " + c.city + "质量技术监督局")
        f = {"单位名称": c.name, "证件号码": code}
        variant = "organisation code certificate"
    L.append(r.choice(["复印件与原件一致", "此复印件仅供办理用电业务使用", "与原件核对无误"]))
    return L, f, variant


def t_PHOTO(c, n):
    r = c.r
    d = c.date(70)
    title = r.choice(["现场照片粘贴页", "客户配电室现场照片", "现场照片记录", "照片粘贴单"])
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "拍摄日期": d.isoformat()}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name)], r.choice([1, 2]))
    spots = ["电源分界点", "配电室外观", "变压器室", "计量装置", "进线电缆终端"]
    r.shuffle(spots)
    for i, s in enumerate(spots[:3]):
        L.append(f"[照片{i + 1}]")
        L.append(c.kv(f"照片{i + 1}说明", s + r.choice(["", "（远景）", "（近景）", "全貌"])))
    L.append(c.row(c.kv("拍摄日期", c.ds(d)), c.kv("拍摄人", c.staff())))
    return L, f, title


def t_DRAWING(c, n):
    r = c.r
    d = c.date(10, 40)
    v = n % 3
    title = ["地埋电缆走向示意图", "10kV配电室一次接线图", "配电室平面布置图"][v]
    L = [c.name + r.choice(["配电工程", "受电工程", "新装工程"]), title]
    f = {"户名": c.name, "绘制日期": d.isoformat()}
    if v == 0:
        L += [f"电缆型号：YJV22-8.7/15-3×{r.choice([70, 95, 120, 185])}", f"全长约{r.randint(60, 900)}米",
              "图例：━━ 电缆  ○ 电缆井  ▲ 标志桩", "说明：电缆埋深不小于0.7米，穿越道路处穿管保护。",
              "N↑", f"{r.choice(ROADS)}  —— {c.r.choice(['1#井', '2#井'])} —— 配电室"]
    elif v == 1:
        L += ["进线柜 AH1  计量柜 AH2  出线柜 AH3  PT柜 AH4", f"变压器 {r.choice(['SCB11', 'S13'])}-{c.kva if c.hv else 400}/10",
              "母线 TMY-3×(80×8)", "说明：本图仅表示一次系统接线。"]
    else:
        L += ["高压室  变压器室  低压室  值班室", "比例 1:100", "门窗尺寸详见建施图", "说明：配电室地坪高出室外地面0.3米。"]
    if r.random() < 0.6:
        L.append(c.kv(c.huhao_label(), c.huhao))
        f["户号"] = c.huhao
    L.append(c.row(c.kv("建设单位", c.name), "图号：" + f"DL-{d.year}-{r.randint(1, 99):02d}",
                   "比例：" + r.choice(["1:500", "1:200", "1:100", "示意"])))
    L.append(c.row("设计：" + c.staff(), "制图：" + c.staff(), "校核：" + c.staff(), "审定：" + c.staff()))
    L.append(c.kv("日期", c.ds(d, ["iso", "slash", "cn0"])))
    return L, f, title


def t_EMAIL(c, n):
    r = c.r
    d = c.date(0, 2000)
    me = c.staff()
    dom = r.choice(["sgcc.com.cn", "example.com", "163.com", "qq.com"])
    L = []
    L.append(c.kv(r.choice(["发件人", "发件人"]), f"{me} <{r.choice(['yx', 'kf', 'dangan', 'yekuo'])}{r.randint(1, 99)}@{dom}>"))
    L.append(c.kv("收件人", f"{c.contact} <{r.choice(['li', 'wang', 'office', 'admin'])}{r.randint(1, 999)}@{r.choice(['163.com', 'qq.com', 'example.cn'])}>"))
    if r.random() < 0.4:
        L.append(c.kv("抄送", f"{c.staff()} <kf{r.randint(1, 99)}@{dom}>"))
    wd = "一二三四五六日"[d.weekday()]
    L.append(c.kv(r.choice(["发送时间", "日期", "时间"]), f"{fmt_date(d, r.choice(['cn', 'cn0', 'iso']))}（星期{wd}） {r.randint(8, 17)}:{r.randint(0, 59):02d}"))
    subj = r.choice(["关于用电申请资料补充的函", "增容工程验收安排", "电费账单疑问的答复", "更名过户办理进度", "计划停电安排的沟通"])
    L.append(c.kv("主题", ("回复：" if r.random() < 0.3 else "") + subj))
    L.append("")
    L.append(f"{c.contact}{r.choice(['先生', '女士', '经理', '']) }：")
    f = {"发送日期": d.isoformat()}
    if n % 5 == 4:
        # two accounts in one letter: no single 户号
        other = c.new_huhao()
        L.append(f"  您好！贵单位名下户号{c.huhao}和户号{other}的{subj[2:-2] if len(subj) > 6 else '业务'}事宜，现答复如下：")
    elif r.random() < 0.8:
        L.append(f"  您好！关于{c.name}（户号：{c.huhao}）的{subj[2:-2] if subj.startswith('关于') else '业务'}，现将有关情况告知如下：")
        f["户号"] = c.huhao
    else:
        L.append("  您好！来信收悉，现将有关情况告知如下：")
    L.append("  " + r.choice(["请于本周内将营业执照复印件和授权委托书扫描件回复本邮件。",
                            "验收时间初定于下周三上午，请安排电工配合。", "经核查，您户本月电量正常，系峰谷电价调整所致。",
                            "相关资料已收到，正在办理中，预计5个工作日内办结。"]))
    if r.random() < 0.5:
        L.append(c.kv("附件", r.choice(["供电方案答复单.pdf", "验收资料清单.docx", "电费明细.xlsx"])))
    L.append("此致")
    L.append(me)
    L.append(c.unit)
    return L, f, subj


def t_CHANGE(c, n):
    r = c.r
    d = c.date(900, 1500)
    v = n % 5
    L = []
    f = {"申请日期": d.isoformat()}
    if v in (0, 1):
        title = r.choice(["更名过户申请表", "更名（过户）申请书", "变更用电申请表"])
        new = c.person() if r.random() < 0.5 else c.city[:-1] + r.choice(BRANDS) + r.choice(TRADES) + "有限公司"
        L += header(c, title)
        L.append(c.kv(c.huhao_label(), c.huhao))
        L.append(c.row(c.kv("原户名", c.name), c.kv("新户名", new)))
        L.append(c.kv("用电地址", c.addr))
        L.append("变更事项：" + check(c, ["更名", "过户"], r.choice(["更名", "过户"])))
        L.append("变更原因：" + r.choice(["房屋产权转让", "企业名称变更", "继承", "企业改制"]))
        L.append("原户已结清全部电费，新户承继原《供用电合同》的权利义务。")
        f.update({"户号": c.huhao, "户名": c.name, "新户名": new})
    elif v in (2, 3):
        title = "变更用电申请表" if r.random() < 0.6 else r.choice(["销户申请书", "迁址申请表"])
        what = "销户" if "销户" in title else ("迁址" if "迁址" in title else r.choice(["销户", "迁址", "改类", "移表"]))
        L += header(c, title)
        L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr), ("联系电话", c.phone)])
        L.append("变更事项：" + check(c, ["减容", "暂停", "迁址", "移表", "更名", "过户", "改类", "销户"], what))
        if what == "迁址":
            L.append(c.kv("新用电地址", c.address()))
        if what == "销户":
            L.append("销户原因：" + r.choice(["企业停产", "房屋拆迁", "不再用电"]) + "，请求拆除计量装置并终止《供用电合同》。")
        else:
            L.append("变更原因：" + r.choice(["生产场地调整", "用电性质改变", "装修改造"]))
        f.update({"户号": c.huhao, "户名": c.name})
    else:
        title = "并户申请表"
        other = c.new_huhao()
        L += header(c, title)
        L.append(c.kv(c.name_label(), c.name))
        L.append(f"申请将户号{other}并入户号{c.huhao}，合并后按一户计量收费。")
        L.append(c.kv("用电地址", c.addr))
        L.append("变更事项：" + check(c, ["分户", "并户"], "并户"))
        f.update({"户名": c.name})  # two account numbers: no single 户号
    L.append(c.row("申请人（签章）：" + c.contact, c.kv("申请日期", c.ds(d))))
    return L, f, title


def t_BILL(c, n):
    r = c.r
    d = c.date(100, 3000)
    v = n % 3
    f = {"户号": c.huhao, "户名": c.name}
    kwh = r.randint(50, 90000)
    price = r.choice([0.538, 0.5883, 0.6372, 0.7312])
    amt = round(kwh * price, 2)
    f["金额"] = f"{amt:.2f}"
    if v == 0:
        title = r.choice(["电费发票", "增值税电子普通发票（电费）", "增值税普通发票"])
        L = [title]
        L.append(c.row(c.kv("发票代码", c.number(12)), c.kv("发票号码", c.number(8))))
        L.append(c.kv("开票日期", c.ds(d, ["cn", "cn0"])))
        f["开票日期"] = d.isoformat()
        L.append(c.kv("购买方名称", c.name))
        L.append(c.kv(c.huhao_label(), c.huhao))
        L.append(f"*供电*电费    {kwh}千瓦时    单价{price}")
        L.append(c.kv("价税合计", fmt_amount(amt, r)))
        L.append(c.kv("销售方名称", c.unit))
        f["户名"] = c.name
    elif v == 1:
        title = r.choice(["电费缴费凭证", "电费收据", "交费凭证"])
        L = header(c, title)
        L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("缴费日期", c.ds(d)),
                     ("电费年月", f"{d.year}年{d.month}月"), ("缴费金额", fmt_amount(amt, r)),
                     ("缴费方式", r.choice(["现金", "银行代扣", "网上国网", "POS刷卡"])), ("流水号", c.number(18))])
        f["缴费日期"] = d.isoformat()
        L.append("收款单位：" + c.unit)
    else:
        title = r.choice(["电费账单", "电费结算单", "电费清单"])
        L = header(c, title)
        L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr)])
        L.append(c.kv("抄表日期", c.ds(d)))
        f["抄表日期"] = d.isoformat()
        last = r.randint(1000, 90000)
        L.append(f"上次示数 {last}    本次示数 {last + kwh}    本期电量 {kwh}千瓦时")
        L.append(f"电度电费 {amt:.2f}元    基本电费 0.00元")
        L.append(c.kv("本期应交电费", fmt_amount(amt, r)))
        L.append("请于每月25日前交清电费，逾期将按规定加收电费违约金。")
    return L, f, title


def t_SUSPEND(c, n):
    r = c.r
    d = c.date(600, 1500)
    v = n % 3
    title = ["暂停用电申请书", "减容申请表", "暂停（减容）申请表"][v]
    if v == 0 and r.random() < 0.3:
        title = "报停申请表"
    L = header(c, title)
    f = {"户号": c.huhao, "户名": c.name, "申请日期": d.isoformat()}
    kva = c.kva if c.hv else r.choice([200, 315, 400])
    part = r.choice([k for k in KVAS if k <= kva] or [kva])
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr), ("合同容量", fmt_kva(kva, r))])
    f["合同容量"] = str(kva)
    if v == 1:
        L.append(c.kv("减容容量", fmt_kva(part, r)))
        f["变更容量"] = str(part)
        L.append("减容期限：" + r.choice(["两年", "永久减容", "一年"]))
    else:
        L.append(c.kv("暂停容量", fmt_kva(part, r)))
        f["变更容量"] = str(part)
        s = d + datetime.timedelta(days=r.randint(3, 10))
        e = s + datetime.timedelta(days=r.randint(30, 180))
        L.append(f"暂停期限：自{fmt_date(s, 'cn')}起至{fmt_date(e, 'cn')}止")
    L.append("申请原因：" + r.choice(["季节性生产停产", "设备检修", "订单减少，部分生产线停用", "企业技改"]))
    L.append("暂停（减容）期间按规定对设备加封，期满恢复用电应提前申请。基本电费按实际容量计收。")
    L.append(c.row("申请人（签章）：" + c.contact, c.kv(r.choice(["申请日期", "日期"]), c.ds(d))))
    return L, f, title


TYPES = {
    "APP": t_APP, "AUTH": t_AUTH, "SURVEY": t_SURVEY, "TEST": t_TEST, "BUILD": t_BUILD, "ACCEPT": t_ACCEPT,
    "WORK": t_WORK, "CONTRACT": t_CONTRACT, "PAYAGR": t_PAYAGR, "INSPECT": t_INSPECT, "VIOLATION": t_VIOLATION,
    "OUTAGE": t_OUTAGE, "REFUND": t_REFUND, "METER": t_METER, "ACCIDENT": t_ACCIDENT, "ID": t_ID, "PHOTO": t_PHOTO,
    "DRAWING": t_DRAWING, "EMAIL": t_EMAIL, "CHANGE": t_CHANGE, "BILL": t_BILL, "SUSPEND": t_SUSPEND,
}


# ------------------------------------------------------- the "other" class --
# Near misses: real forms of a power-supply company that the catalogue
# does not define (its lists end in 等): they look like SURVEY, BILL,
# OUTAGE, INSPECT or TEST and must not be taken for them.
def n_PLAN(c, n):
    r = c.r
    d = c.date(10)
    L = header(c, "供电方案答复单")
    f = {"户号": c.huhao, "户名": c.name}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("用电地址", c.addr), ("申请容量", c.cap())])
    L.append(c.kv("供电电源", f"10kV {c.dist}{r.randint(1, 9)}号线"))
    L.append(c.kv("计量方式", "高供高计" if c.hv else "低供低计"))
    L.append("答复意见：经研究，同意按以下方案供电，本方案有效期一年。客户应按方案开展受电工程设计。")
    L.append(c.row("答复人：" + c.staff(), c.kv("答复日期", c.ds(d))))
    return L, f, "供电方案答复单"


def n_VISIT(c, n):
    r = c.r
    d = c.date(100, 900)
    L = header(c, "客户回访记录")
    f = {"户号": c.huhao, "户名": c.name}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name), ("联系电话", c.phone),
                 ("回访日期", c.ds(d)), ("回访方式", r.choice(["电话", "上门", "短信"]))])
    L.append("回访内容：" + r.choice(["新装送电后用电情况", "故障抢修服务质量", "电费账单疑问处理结果"]))
    L.append("客户评价：" + check(c, ["非常满意", "满意", "一般", "不满意"], r.choice(["非常满意", "满意"])))
    L.append(c.row("回访人：" + c.staff(), "审核：" + c.staff()))
    return L, f, "客户回访记录"


def n_REMIND(c, n):
    r = c.r
    d = c.date(100, 900)
    amt = r.randint(100, 9000) + r.randint(0, 99) / 100
    L = header(c, "电费催缴通知单")
    f = {"户号": c.huhao, "户名": c.name}
    L += lay(c, [(c.huhao_label(), c.huhao), (c.name_label(), c.name)], 1)
    L.append(f"您户{d.year}年{d.month}月电费{fmt_amount(amt, r)}尚未交纳，请于本月25日前交清，逾期将按日加收电费违约金。")
    L.append("交费方式：营业厅、网上国网、银行代扣。")
    L.append(c.row(c.unit, c.kv("日期", c.ds(d))))
    return L, f, "电费催缴通知单"


def n_MINUTES(c, n):
    r = c.r
    d = c.date(0, 3000)
    L = [c.unit, "客户档案专项检查会议纪要"]
    L.append(c.kv("会议时间", c.ds(d)))
    L.append("参加人员：营销部、客户服务中心、各供电所档案员")
    L.append(f"一、抽查客户档案{r.randint(50, 300)}户，供用电合同、用电检查单归档率{r.randint(90, 99)}%，部分高压客户缺竣工验收报告。")
    L.append("二、停电通知单、违约用电处理通知单应在实施后十日内归档。")
    L.append("三、各供电所于月底前完成整改，营销部组织复查。")
    L.append("记录：" + c.staff())
    return L, {}, "会议纪要"


def n_LOSS(c, n):
    r = c.r
    d = c.date(0, 3000)
    L = [c.unit, f"{d.year}年{d.month}月台区线损分析报告"]
    L.append(f"一、本月{c.dist}共{r.randint(80, 400)}个台区，综合线损率{r.randint(30, 90) / 10:.1f}%，同比下降{r.randint(1, 9) / 10:.1f}个百分点。")
    L.append(f"二、高损台区{r.randint(3, 20)}个，主要原因为计量装置故障、窃电及档案户变关系错误。")
    L.append("三、下月重点：开展用电检查，核对户变关系，更换故障电能表。")
    L.append(c.row("编制：" + c.staff(), "审核：" + c.staff(), c.kv("日期", c.ds(d))))
    return L, {}, "线损分析报告"


NEAR_MISSES = [n_PLAN, n_VISIT, n_REMIND, n_MINUTES, n_LOSS]

def seed_excerpts(seeds_dir, count, r):
    """count excerpts (300-650 characters, whole sentences) of the seed texts,
    spread over the files; each with its file and line range."""
    files = sorted(f for f in os.listdir(seeds_dir) if f.endswith(".txt"))
    if not files:
        sys.exit(f"make-evalset: no seed texts in {seeds_dir}")
    out = []
    for i in range(count):
        name = files[i % len(files)]
        lines = open(os.path.join(seeds_dir, name), encoding="utf-8", errors="replace").read().split("\n")
        for _ in range(100):
            start = r.randrange(0, max(1, len(lines) - 5))
            if len(lines[start].strip()) < 20:
                continue
            buf, end = [], start
            while end < len(lines) and sum(len(b) for b in buf) < 300:
                if lines[end].strip():
                    buf.append(lines[end].strip())
                end += 1
            text = "\n".join(buf)
            if len(text) < 300:
                continue
            if len(text) > 650:  # cut at a sentence end
                cut = max(text.rfind(p, 0, 650) for p in "。；！？")
                text = text[:cut + 1] if cut > 300 else text[:650]
            out.append((name, start + 1, end, text))
            break
    return out


# ---------------------------------------------------------------- write --
def generate(out, seeds, per_type):
    os.makedirs(out, exist_ok=True)
    written = []
    for code, fn in TYPES.items():
        for n in range(1, per_type + 1):
            r = random.Random(f"{SEED}-{code}-{n}")
            c = Ctx(r)
            lines, fields, variant = fn(c, n)
            if n == 9 and code != "EMAIL":
                # the top of the page is missing (cut off, or a page torn
                # from its first): no issuing unit, no title
                top = next((i for i, l in enumerate(lines[:3]) if variant in l or l.startswith(variant)), 0)
                lines = lines[top + 1:]
                variant += "; no title (the top of the page is missing)"
            for k, v in c.seen.items():
                if any(k in l for l in lines):
                    fields.setdefault(k, v)
            lines.append(c.footer())
            text = "\n".join(lines) + "\n"
            stem = f"{code}-{n:02d}"
            truth = {"type": code, "catalogue": "power-supply", "variant": variant, "fields": fields}
            written.append((stem, text, truth))
    for n, fn in enumerate(NEAR_MISSES, per_type + 1):
        r = random.Random(f"{SEED}-other-{n}")
        c = Ctx(r)
        lines, fields, variant = fn(c, n)
        lines.append(c.footer())
        for k, v in c.seen.items():
            fields.setdefault(k, v)
        written.append((f"other-{n:02d}", "\n".join(lines) + "\n",
                        {"type": "other", "catalogue": "power-supply",
                         "variant": f"near miss: {variant}, a form the catalogue does not define", "fields": fields}))
    r = random.Random(f"{SEED}-other")
    for n, (name, a, b, text) in enumerate(seed_excerpts(seeds, per_type, r), 1):
        stem = f"other-{n:02d}"
        page = f"- {r.randint(2, 40)} -"
        truth = {"type": "other", "catalogue": "power-supply", "variant": "seed excerpt",
                 "source": f"../shared/seeds/{name} lines {a}-{b}", "fields": {}}
        written.append((stem, text + "\n" + page + "\n", truth))
    for stem, text, truth in written:
        with open(os.path.join(out, stem + ".txt"), "w", encoding="utf-8") as fh:
            fh.write(text)
        with open(os.path.join(out, stem + ".truth.json"), "w", encoding="utf-8") as fh:
            json.dump(truth, fh, ensure_ascii=False, indent=1, sort_keys=True)
            fh.write("\n")
    print(f"make-evalset: {len(written)} documents in {out}")


def flat(text):
    """The text as mkpages.sh sees it: stripped lines, joined."""
    return "".join(l.strip() for l in text.split("\n") if l.strip())


def render(out, scans, mkpages, jobs):
    docs = sorted(f[:-4] for f in os.listdir(out) if f.endswith(".txt") and re.match(r"^[A-Za-z]+-\d+\.txt$", f))
    groups = {}
    for stem in docs:
        groups.setdefault(stem.rsplit("-", 1)[0], []).append(stem)
    os.makedirs(scans, exist_ok=True)
    work = tempfile.mkdtemp(prefix="evalset-", dir=scans)
    tasks = []
    widths = [34, 38, 42, 30]
    for gi, (group, stems) in enumerate(sorted(groups.items())):
        per_line = widths[gi % len(widths)]
        texts = {s: open(os.path.join(out, s + ".txt"), encoding="utf-8").read() for s in stems}
        longest = max(len(flat(t)) for t in texts.values())
        per_page = max(per_line * 24, -(-longest // per_line) * per_line + per_line)
        if per_page > per_line * 60:
            sys.exit(f"make-evalset: a {group} document is too long for one page ({longest} characters)")
        rot = gi % len(stems)
        order = stems[rot:] + stems[:rot]
        for b in range(0, len(order), 10):
            batch = order[b:b + 10]
            name = f"{group}-{b // 10}"
            src = os.path.join(work, name + ".txt")
            with open(src, "w", encoding="utf-8") as fh:
                for s in batch:
                    body = flat(texts[s])
                    # the footer (last line) stays at the foot of the page
                    last = [l.strip() for l in texts[s].split("\n") if l.strip()][-1]
                    head = body[: len(body) - len(last)]
                    fh.write(head + "\u3000" * (per_page - len(body)) + last + "\n")
            tasks.append((name, src, batch, per_line, per_page))
    procs, failed = [], 0

    def reap(p):
        nonlocal failed
        rc = p[0].wait()
        if rc != 0:
            failed += 1
            sys.stderr.write(open(p[1] + ".log", encoding="utf-8", errors="replace").read())

    for name, src, batch, per_line, per_page in tasks:
        env = dict(os.environ, CHARS_PER_LINE=str(per_line), CHARS_PER_PAGE=str(per_page))
        log = open(src + ".log", "w")
        p = subprocess.Popen(["bash", mkpages, src, os.path.join(work, name), "p"], env=env, stdout=log, stderr=log)
        procs.append((p, src))
        if len(procs) >= jobs:
            reap(procs.pop(0))
    for p in procs:
        reap(p)
    if failed:
        sys.exit(f"make-evalset: mkpages failed on {failed} batch(es) (logs in {work})")
    n = 0
    for name, src, batch, per_line, per_page in tasks:
        made = sorted(f for f in os.listdir(os.path.join(work, name)) if f.endswith(".gt.txt"))
        if len(made) != len(batch):
            sys.exit(f"make-evalset: {name}: {len(made)} pages for {len(batch)} documents")
        for gt, stem in zip(made, batch):
            base = gt[:-7]                      # p-NNN-PROFILE
            prof = base.rsplit("-", 1)[1]
            for f in os.listdir(os.path.join(work, name)):
                if f.startswith(base + "."):
                    ext = f[len(base):]
                    shutil.move(os.path.join(work, name, f), os.path.join(scans, f"{stem}-{prof}{ext}"))
            n += 1
    shutil.rmtree(work)
    print(f"make-evalset: {n} scanned pages in {scans}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "power-supply"),
                    help="the texts and truth files (default: power-supply/ beside this script)")
    ap.add_argument("--seeds", default=os.path.join(HERE, "..", "..", "..", "..", "shared", "seeds"),
                    help="the shared source texts for the 'other' class")
    ap.add_argument("--per-type", type=int, default=10)
    ap.add_argument("--scans", help="render the texts of --out into this directory")
    ap.add_argument("--mkpages", default=os.environ.get("MKPAGES"), help="path of mkpages.sh ($MKPAGES)")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    if a.scans:
        if not a.mkpages or not os.path.isfile(a.mkpages):
            sys.exit("make-evalset: --scans needs --mkpages PATH (or MKPAGES=PATH)")
        render(a.out, a.scans, a.mkpages, max(1, a.jobs))
    else:
        generate(a.out, a.seeds, a.per_type)


if __name__ == "__main__":
    main()
