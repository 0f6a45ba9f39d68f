"""Report readers on real government texts: seeds and devset files, and .docx, PDF and web pages
built from them. The builders here are shared with test_readers_bad_input.py."""

from __future__ import annotations

import datetime
import html
import io

import docx
import pytest
from docx.oxml import parse_xml

from commitments.engine.ingest.readers import SUPPORTED_EXTENSIONS, ReadResult, read_report, read_report_bytes
from tests.helpers import (
    ZHONGSHAN_PLAN,
    ZHONGSHAN_SEED,
    ZHONGSHAN_TITLE,
    paragraphs_of,
    pdf_bytes,
    seed_article,
    write_docx,
)
from tests.paths import DEVSET, REPO, SEEDS

FIXTURES = REPO / "tests" / "fixtures"

# Furniture of the generated government page; none of it may reach the report text.
PAGE_FURNITURE = (
    "无障碍版",
    "长者助手",
    "机构概况",
    "互动交流",
    "您当前的位置",
    "分享到",
    "微信",
    "扫一扫在手机打开当前页面",
    "【打印】",
    "【关闭】",
    "字号",
    "相关文章",
    "2020年民政工作总结和2021年工作计划",
    "版权所有",
    "ICP备",
    "网站标识码",
    "主办单位",
    "var _hmt",
    "搜索",
)


def government_page(
    *, title: str, paragraphs: list[str], published: str = "2022-01-29", charset: str = "utf-8", pager: str = ""
) -> str:
    """A page the way a city bureau's TRS-style CMS serves it: furniture around one article, and
    `pager` under it when the article is split over pages."""
    body = "\n".join(
        f'        <p style="text-indent: 2em;">{html.escape(paragraph)}</p>'
        if not paragraph.endswith(("回顾", "计划"))
        else f'        <p style="text-align: center;"><strong>{html.escape(paragraph)}</strong></p>'
        for paragraph in paragraphs
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="SiteName" content="中山市民政局">
<meta name="ColumnName" content="规划计划">
<meta name="ArticleTitle" content="{html.escape(title)}">
<meta name="PubDate" content="{published} 10:15">
<meta name="ContentSource" content="中山市民政局">
<title>{html.escape(title)}-中山市民政局</title>
<link rel="stylesheet" href="/css/base.css">
<style>.article p {{ line-height: 2; }}</style>
<script>var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script"); }})();</script>
</head>
<body>
<div class="top-bar"><div class="wrap">
  <a href="javascript:void(0)" id="wza">无障碍版</a> <a href="javascript:void(0)">长者助手</a> <a href="/login">登录</a>
</div></div>
<div class="header"><div class="wrap">
  <div class="logo"><h1><a href="/">中山市民政局</a></h1></div>
  <div class="search"><form action="/search"><input type="text" name="q" placeholder="请输入关键词"><button>搜索</button></form></div>
</div></div>
<div class="nav"><ul>
  <li><a href="/">首页</a></li><li><a href="/jggk/">机构概况</a></li><li><a href="/zwgk/">政务公开</a></li>
  <li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/ztzl/">专题专栏</a></li>
</ul></div>
<div class="main wrap">
  <div class="breadcrumb">您当前的位置: <a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/ghjh/">规划计划</a></div>
  <div class="article">
    <h2 class="article-title">{html.escape(title)}</h2>
    <div class="article-info">
      <span>信息来源:中山市民政局</span> <span>发布日期:{published}</span>
      <span class="font-size">字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></span>
      <div class="bdsharebuttonbox">分享：<a class="bds_weixin" href="#">微信</a> <a class="bds_tsina" href="#">微博</a></div>
    </div>
    <div id="zoom" class="article-content">
      <div class="TRS_Editor">
{body}
      </div>
    </div>{pager}
    <div class="fx">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
    <div class="sj">扫一扫在手机打开当前页面</div>
    <div class="dy">【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">关闭</a>】</div>
  </div>
  <div class="xgwz"><h3>相关文章</h3><ul>
    <li><a href="/zwgk/ghjh/content/post_1.html">中山市民政局2020年民政工作总结和2021年工作计划</a><span>2021-01-20</span></li>
    <li><a href="/zwgk/ghjh/content/post_2.html">中山市养老服务体系建设规划</a><span>2020-06-11</span></li>
  </ul></div>
</div>
<div class="footer"><div class="wrap">
  <p>主办单位：中山市民政局 版权所有：中山市民政局 未经授权禁止复制或建立镜像</p>
  <p>地址：中山市东区 联系电话：0760-88888888 网站标识码：4420000000</p>
  <p><a href="#">粤ICP备00000000号</a> 粤公网安备 44200002000000号</p>
</div></div>
<script src="/js/jquery.min.js"></script>
</body>
</html>
"""


def unwrapped(text: str) -> str:
    return text.replace("\n", "")


def assert_clean(result: ReadResult) -> None:
    assert "\r" not in result.text
    assert "\x00" not in result.text
    assert result.text == result.text.strip("\n")


# -- Plain text ------------------------------------------------------------------------------


def test_it_reads_utf8_report_unchanged_but_for_line_ends():
    path = SEEDS / "002_aeaff0d4a1f48218.txt"

    result = read_report(path)

    raw = path.read_text(encoding="utf-8")
    assert result.text == "\n".join(line.rstrip() for line in raw.splitlines()).strip("\n")
    assert (result.format, result.encoding, result.warnings) == ("txt", "utf-8", ())
    assert result.title == "市民政局2024年上半年工作总结范文及下半年工作计划"


def test_it_reads_gb18030_report_with_crlf():
    result = read_report(DEVSET / "hailar_2015.gbk.txt")

    assert_clean(result)
    assert result.encoding == "gb18030"
    assert result.warnings == ()
    assert "\u3000\u3000各位代表：\n\u3000\u3000现在，我代表海拉尔区人民政府向大会作工作报告" in result.text
    assert result.title == "政府工作报告"
    assert result.published == datetime.date(2015, 2, 5)


def test_gb18030_report_contains_its_published_utf8_plan_cut():
    result = read_report(DEVSET / "hailar_2015.gbk.txt")

    for paragraph in paragraphs_of(DEVSET / "hailar_2015_plan.txt"):
        assert paragraph in result.text


def test_it_reads_utf8_with_bom(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ZHONGSHAN_PLAN.read_bytes())

    result = read_report(path)

    assert result.encoding == "utf-8"
    assert not result.text.startswith("\ufeff")
    assert result.text.startswith("2022年工作计划")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_it_reads_utf16_with_bom(tmp_path, codec):
    text = ZHONGSHAN_PLAN.read_text(encoding="utf-8")
    path = tmp_path / "plan.txt"
    path.write_bytes(("\ufeff" + text).encode(codec) if codec.endswith("be") else text.encode(codec))

    result = read_report(path)

    assert result.encoding == "utf-16"
    assert result.text.split("\n") == [line.rstrip() for line in text.strip("\n").split("\n")]


def test_it_keeps_a_saved_page_as_text_and_reads_its_publishing_date():
    result = read_report(ZHONGSHAN_SEED)

    assert result.text.startswith("无障碍版 长者助手 登录\n您当前的位置: 首页 >政务公开 > 规划计划")
    assert result.published == datetime.date(2022, 1, 29)
    assert result.title == ZHONGSHAN_TITLE


def test_it_normalises_line_ends_and_control_chars_but_keeps_full_width_spaces(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes("一、总体要求\r\n\u3000\u3000推进养老\x00服务\x07。  \r\r\n（一）完善救助\t体系。\r".encode())

    result = read_report(path)

    assert result.text == "一、总体要求\n\u3000\u3000推进养老服务。\n\n（一）完善救助\t体系。"


def test_every_seed_and_devset_text_reads_without_warnings():
    for path in sorted(SEEDS.glob("*.txt")) + sorted(DEVSET.glob("*.txt")):
        result = read_report(path)
        assert result.warnings == (), path.name
        assert len(result.text) > 300, path.name
        assert_clean(result)


# -- Web pages -------------------------------------------------------------------------------


def test_it_drops_government_page_furniture_and_keeps_the_article_whole(tmp_path):
    plan = paragraphs_of(ZHONGSHAN_PLAN)
    path = tmp_path / "page.html"
    path.write_text(government_page(title=ZHONGSHAN_TITLE, paragraphs=plan), encoding="utf-8")

    result = read_report(path)

    assert result.text.split("\n") == plan
    for furniture in PAGE_FURNITURE:
        assert furniture not in result.text
    assert (result.format, result.encoding) == ("html", "utf-8")
    assert result.title == ZHONGSHAN_TITLE
    assert result.published == datetime.date(2022, 1, 29)


@pytest.mark.parametrize(
    ("pager", "warning"),
    [
        (
            '<div id="page"><script>createPageHTML(3, 0, "t20220129_1234567", "html");</script></div>',
            "网页正文分 3 页显示，这里只读到第 1 页",
        ),
        (
            '<div class="pages">第2页 共3页 <a href="t20220129_1234567.html">上一页</a> '
            '<a href="t20220129_1234567_2.html">下一页</a> <a href="t20220129_1234567_2.html">尾页</a></div>',
            "网页正文分 3 页显示，这里只读到第 2 页",
        ),
        (
            '<div class="pages"><a href="?page=2">[下一页]</a></div>',
            "网页正文分页显示（有“下一页”），这里只读到其中一页",
        ),
    ],
    ids=["trs-script", "pager-with-count", "pager"],
)
def test_it_warns_that_a_page_holds_only_part_of_an_article(pager, warning):
    plan = paragraphs_of(ZHONGSHAN_PLAN)[:8]
    page = government_page(title=ZHONGSHAN_TITLE, paragraphs=plan, pager=pager)

    result = read_report_bytes(page.encode("utf-8"), filename="page.html")

    assert result.text.split("\n") == plan  # the page's own part, without the pager
    assert any(w.startswith(warning) and "请把各页都导入" in w for w in result.warnings)


def test_a_link_to_the_next_article_is_no_pager():
    pager = '<div class="next"><a href="/post_3.html">下一篇：2023年工作计划</a></div>'
    page = government_page(title=ZHONGSHAN_TITLE, paragraphs=paragraphs_of(ZHONGSHAN_PLAN)[:8], pager=pager)

    assert read_report_bytes(page.encode("utf-8"), filename="page.html").warnings == ()


def test_it_decodes_a_gbk_page_by_its_meta_charset(tmp_path):
    plan = paragraphs_of(ZHONGSHAN_PLAN)
    path = tmp_path / "page.htm"
    path.write_bytes(government_page(title=ZHONGSHAN_TITLE, paragraphs=plan, charset="gb2312").encode("gb18030"))

    result = read_report(path)

    assert result.encoding == "gb18030"
    assert result.text.split("\n") == plan


def test_it_detects_page_encoding_when_the_meta_charset_is_wrong(tmp_path):
    plan = paragraphs_of(ZHONGSHAN_PLAN)
    path = tmp_path / "page.html"
    path.write_bytes(government_page(title=ZHONGSHAN_TITLE, paragraphs=plan, charset="utf-8").encode("gb18030"))

    result = read_report(path)

    assert result.encoding == "gb18030"
    assert result.text.split("\n") == plan
    assert any("编码" in warning for warning in result.warnings)


def test_it_takes_page_title_and_date_from_the_page_when_cms_meta_is_missing(tmp_path):
    page = (
        "<html><head><title>2022年工作计划_兰陵县民政局_兰陵县人民政府</title></head><body>"
        '<div class="bt">兰陵县民政局网站</div>'
        "<div class='info'>发布时间：2022年3月4日 浏览次数：123</div>"
        "<div class='con'>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in paragraphs_of(DEVSET / "lanling_2022_plan.txt"))
        + "</div></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")

    result = read_report(path)

    assert result.title == "2022年工作计划"
    assert result.published == datetime.date(2022, 3, 4)
    assert result.text.split("\n") == paragraphs_of(DEVSET / "lanling_2022_plan.txt")


def test_it_keeps_line_breaks_and_table_rows_of_a_page(tmp_path):
    page = (
        "<html><body><div id='zoom'>一、2022年工作计划<br>（一）新建社区居家养老服务站292个，实现全覆盖。<br/>"
        "<table><tr><td>项目</td><td>目标</td></tr><tr><td>养老床位</td><td>超过50%</td></tr></table>"
        "<ul><li>推动《中山市社会救助办法》出台。</li><li>完善儿童保障体系。</li></ul></div></body></html>"
    )

    result = read_report_bytes(page.encode(), filename="page.html")

    assert result.text.split("\n") == [
        "一、2022年工作计划",
        "（一）新建社区居家养老服务站292个，实现全覆盖。",
        "项目\t目标",
        "养老床位\t超过50%",
        "推动《中山市社会救助办法》出台。",
        "完善儿童保障体系。",
    ]


def test_it_keeps_a_page_whose_whole_body_sits_in_a_form(tmp_path):
    plan = paragraphs_of(DEVSET / "qianjiang_2020h2_plan.txt")
    page = (
        "<html><body><form id='form1' method='post'><div class='menu'><a href='/'>首页</a></div>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in plan)
        + "</form></body></html>"
    )

    result = read_report_bytes(page.encode(), filename="page.aspx.html")

    assert result.text.split("\n") == plan


def test_saved_page_fixture_reads_as_seed_article():
    result = read_report(FIXTURES / "zhongshan_2021_page.html")

    assert result.text.split("\n") == seed_article()
    assert result.title == ZHONGSHAN_TITLE
    assert result.published == datetime.date(2022, 1, 29)
    for furniture in PAGE_FURNITURE:
        assert furniture not in result.text


def test_saved_page_fixture_is_the_generated_page():
    """The fixture is `government_page()` on seed 001; regenerate it with this function if it changes."""
    expected = government_page(title=ZHONGSHAN_TITLE, paragraphs=seed_article())

    assert (FIXTURES / "zhongshan_2021_page.html").read_text(encoding="utf-8") == expected


# -- Word ------------------------------------------------------------------------------------


def test_it_reads_docx_paragraphs_and_table_rows_in_order(tmp_path):
    plan = paragraphs_of(ZHONGSHAN_PLAN)
    rows = [["指标", "2022年目标"], ["社区居家养老服务站", "新建292个"], ["特困人员集中供养率", "超过50%"]]
    path = write_docx(tmp_path / "plan.docx", plan, title=ZHONGSHAN_TITLE, table_rows=rows)

    result = read_report(path)

    half = len(plan) // 2
    assert result.text.split("\n") == plan[:half] + ["\t".join(row) for row in rows] + plan[half:]
    assert (result.format, result.encoding, result.title) == ("docx", "", ZHONGSHAN_TITLE)


def test_it_takes_docx_title_from_the_first_paragraph_without_core_title(tmp_path):
    path = write_docx(
        tmp_path / "plan.docx", ["", "兰陵县民政局2022年工作打算", *paragraphs_of(DEVSET / "lanling_2022_plan.txt")]
    )

    result = read_report(path)

    assert result.title == "兰陵县民政局2022年工作打算"


def test_it_reads_a_merged_docx_cell_once(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "2022年重点民生项目"
    for cell, value in zip(table.rows[1].cells, ["养老", "救助", "儿童"], strict=True):
        cell.text = value
    document.save(tmp_path / "table.docx")

    result = read_report(tmp_path / "table.docx")

    assert result.text == "2022年重点民生项目\n养老\t救助\t儿童"


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@pytest.mark.parametrize(
    "removed",
    [
        '<w:del {ns} w:id="1" w:author="办公室"><w:r><w:delText>20个</w:delText></w:r></w:del>',
        '<w:del {ns} w:id="1" w:author="办公室"><w:r><w:t>20个</w:t></w:r></w:del>',  # some writers use w:t
        '<w:moveFrom {ns} w:id="1" w:author="办公室"><w:r><w:t>20个</w:t></w:r></w:moveFrom>',
    ],
    ids=["deleted", "deleted-as-text", "moved-away"],
)
def test_it_reads_a_docx_with_tracked_changes_as_accepted(tmp_path, removed):
    # A draft published with its revisions still tracked: the figure was changed from 20 to 30.
    document = docx.Document()
    paragraph = document.add_paragraph("建成")
    paragraph._p.append(parse_xml(removed.format(ns=W_NS)))
    paragraph._p.append(parse_xml(f'<w:ins {W_NS} w:id="2" w:author="办公室"><w:r><w:t>30个</w:t></w:r></w:ins>'))
    paragraph.add_run("社区养老服务站。")
    document.save(tmp_path / "plan.docx")

    assert read_report(tmp_path / "plan.docx").text == "建成30个社区养老服务站。"


def test_it_reads_docx_text_inside_content_controls(tmp_path):
    # Official-document templates put the title and the date in content controls.
    document = docx.Document()
    document.add_paragraph("一、2022年工作计划")
    body = document.element.body
    title = f"<w:sdt {W_NS}><w:sdtContent><w:p><w:r><w:t>{ZHONGSHAN_TITLE}</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    body.insert(0, parse_xml(title))
    dated = document.add_paragraph("印发日期：")
    dated._p.append(
        parse_xml(f"<w:sdt {W_NS}><w:sdtContent><w:r><w:t>2022年1月29日</w:t></w:r></w:sdtContent></w:sdt>")
    )
    document.save(tmp_path / "plan.docx")

    result = read_report(tmp_path / "plan.docx")

    assert result.text == f"{ZHONGSHAN_TITLE}\n一、2022年工作计划\n印发日期：2022年1月29日"
    assert result.title == ZHONGSHAN_TITLE


# -- PDF -------------------------------------------------------------------------------------


def test_it_reads_chinese_pdf_text_layer_page_by_page(tmp_path):
    plan = paragraphs_of(ZHONGSHAN_PLAN)
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf_bytes([plan[:3], plan[3:5]], title=ZHONGSHAN_TITLE))

    result = read_report(path)

    assert unwrapped(result.text) == "".join(plan[:5])
    assert (result.format, result.encoding, result.title) == ("pdf", "", ZHONGSHAN_TITLE)
    # The PDF's printed lines are joined back into paragraphs, and the analyst is told.
    assert len(result.warnings) == 1 and "已把折行合并为段落" in result.warnings[0]
    assert set(result.text.split("\n")) - {""} <= set(plan[:5])  # whole paragraphs


def test_it_takes_pdf_title_from_the_first_line_without_metadata_title(tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf_bytes([["中山市民政局2022年工作计划", *paragraphs_of(ZHONGSHAN_PLAN)[2:4]]], title=""))

    result = read_report(path)

    assert result.title == "中山市民政局2022年工作计划"


def test_it_reads_a_pdf_locked_only_against_copying(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([paragraphs_of(ZHONGSHAN_PLAN)[:3]]))))
    writer.encrypt(user_password="", owner_password="bureau", algorithm="AES-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)

    result = read_report(path)

    assert unwrapped(result.text) == "".join(paragraphs_of(ZHONGSHAN_PLAN)[:3])


def test_it_warns_about_pdf_pages_without_text(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([paragraphs_of(ZHONGSHAN_PLAN)[:3]]))))
    writer.add_blank_page()
    path = tmp_path / "plan.pdf"
    writer.write(path)

    result = read_report(path)

    assert result.warnings[0] == "第 2 页没有文本层（可能是扫描页），这些页的内容未能读取"
    assert len(result.warnings) == 2 and "已把折行合并为段落" in result.warnings[1]


# -- Choosing the reader ---------------------------------------------------------------------


def test_it_chooses_the_reader_by_content_when_the_extension_says_nothing(tmp_path):
    plan = paragraphs_of(ZHONGSHAN_PLAN)
    samples = {
        "pdf": pdf_bytes([plan[:2]]),
        "docx": write_docx(tmp_path / "x.docx", plan[:2]).read_bytes(),
        "html": government_page(title=ZHONGSHAN_TITLE, paragraphs=plan[:2]).encode(),
        "txt": ZHONGSHAN_PLAN.read_bytes(),
    }

    for expected, data in samples.items():
        assert read_report_bytes(data, filename="download").format == expected
        assert read_report_bytes(data, filename="download.dat").format == expected


def test_it_reads_a_pdf_saved_as_txt_and_says_so():
    data = pdf_bytes([paragraphs_of(ZHONGSHAN_PLAN)[:2]])

    result = read_report_bytes(data, filename="计划.txt")

    assert result.format == "pdf"
    assert result.warnings[0] == "文件扩展名是 .txt，但内容是 PDF 格式，已按 PDF 读取"
    assert len(result.warnings) == 2 and "已把折行合并为段落" in result.warnings[1]


def test_it_reads_a_web_page_served_as_doc():
    page = government_page(title=ZHONGSHAN_TITLE, paragraphs=paragraphs_of(ZHONGSHAN_PLAN), charset="gbk")

    result = read_report_bytes(page.encode("gbk"), filename="2022年工作计划.doc")

    assert result.format == "html"
    assert result.text.split("\n") == paragraphs_of(ZHONGSHAN_PLAN)


def test_read_report_bytes_gives_what_read_report_gives():
    path = DEVSET / "hailar_2016.gbk.txt"

    assert read_report_bytes(path.read_bytes(), filename=path.name) == read_report(path)


def test_supported_extensions_name_the_four_formats():
    assert {".txt", ".text", ".htm", ".html", ".shtml", ".docx", ".pdf"} <= set(SUPPORTED_EXTENSIONS)
