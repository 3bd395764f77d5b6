#!/usr/bin/python3
"""sample.py: a demo county of gridnode data directories, one month of cases.

    /usr/bin/python3 deploy/sample.py --gridnode BIN --out DIR \
        [--month YYYY-MM] [--seed N] [--json]

Builds county qianyang (乾阳县) with its 司法局 qianyang/@justice, town
qianyang/cuimu (翠木镇) with four departments, and fourteen villages; enrols
them as deploy/demo.sh does (init / enroll / join), and writes one calendar
month (default: the one before this, China Standard Time) of plausible
cases: exactly 84 disputes in the villages (67 邻里纠纷, 16 婚姻家庭, 1 债务纠纷),
82 of them settled by mediation (调解成功率 98 %), plus a few dozen hazards,
requests and public-order reports. Most are settled in the village; some
are whistled to the town and dispatched to a department (a few report in
late); two hard ones go up to the county and its 司法局. Most get a
follow-up; two residents are unsatisfied and their cases are reopened and
settled again. A few reported in the last days are left open, some past
their deadlines. The county issues two notices that most villages read
(`read`); twelve villages file their monthly check report (`check`), two of
them late; at the month's end the town signs its rollups (`rollup`) for the
county. Those three verbs are used only when this gridnode has them.

Everything is a real gridnode process. The past is written with the fake
clock GRIDNODE_NOW_MS: every event (time, node, argv) goes on one list sorted
by time and runs in that order with the clock at its time, so no node ever
writes at a time earlier than one it has used or seen. Changes move between
neighbours with `export --for` / `import` files, lazily: before a node acts
on a case, along the tree path from the node that last wrote it. At the end
every edge is flushed until a round moves nothing; then every node must pass
`verify`, hold nothing pending, and hold what its scope says, and gridnode's
own counts must equal the plan's (else exit 1, faults in the summary).

DIR (missing or empty) gets one data dir per node, DIR/<path with / as _>,
and DIR/county.json: {"month", "seed", "nodes": [{"path", "dir", "key",
"parent", "name"}]}, parents first. The same --seed and month give the same
cases (titles, categories, outcomes, times); only keys and ids differ. The
summary (counts by category, outcome, level settled, gridnode's rates as of
the month's last evening) is printed as text, or JSON with --json.
Standard library only.
"""

import argparse
import calendar
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BJ = dt.timezone(dt.timedelta(hours=8))   # Beijing time: every time below
MIN = 60 * 1000
HOUR = 60 * MIN
DAY = 24 * HOUR

COUNTY = "qianyang"
TOWN = "qianyang/cuimu"
COUNTY_DEPT = "qianyang/@justice"
TOWN_DEPTS = ("@police", "@justice", "@enforcement", "@civil")
VILLAGES = (
    ("xiazhai", "下寨村"), ("shangzhai", "上寨村"), ("dongcun", "东村"),
    ("xicun", "西村"), ("nanwan", "南湾村"), ("beipo", "北坡村"),
    ("liujia", "刘家村"), ("wangzhuang", "王庄村"), ("zhangcun", "张村"),
    ("lijiazhuang", "李家庄村"), ("hetou", "河头村"), ("shimen", "石门村"),
    ("qiaotou", "桥头村"), ("songlin", "松林村"),
)
NAMES = {COUNTY: "乾阳县", TOWN: "翠木镇", COUNTY_DEPT: "县司法局",
         TOWN + "/@police": "翠木派出所", TOWN + "/@justice": "翠木司法所",
         TOWN + "/@enforcement": "翠木镇综合行政执法队",
         TOWN + "/@civil": "翠木镇民政办"}
# A village's most common surname, where its name has one.
CLAN = {"liujia": "刘", "wangzhuang": "王", "zhangcun": "张",
        "lijiazhuang": "李"}

# The published figures the month reproduces (README cites them).
# Of the 84, two end otherwise: the debt case is paid (solved) and one
# neighbour dispute is referred to court (Plan._cases).
N_NEIGHBOR, N_MARRIAGE, N_OTHER_DISPUTE = 67, 16, 1
DISPUTES = ("neighbor", "marriage", "debt", "land")
# Dispatch deadlines by category (node/category.c): ack hours.
ACK_HOURS = {"safety": 0.5, "security": 0.5, "environment": 2,
             "livelihood": 2}
RESOLVE_HOURS = {"safety": 24, "security": 24, "environment": 72,
                 "livelihood": 168}

# -- word lists --------------------------------------------------------------

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
            "郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
            "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石"
            "廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶")
MALE = ("建国 建华 国强 志刚 德明 长林 卫东 永福 宝山 大军 小平 文华 有才 "
        "明亮 振华 保国 广才 庆丰 春生 树林 满仓 根生 福贵 新民 玉山 金海 "
        "建军 兴旺 占奎 学文 德胜 海军 铁柱 双喜 俊峰 志强 宏伟 立新 红军 "
        "怀仁 守田 连生 永刚 德才").split()
FEMALE = ("桂兰 秀英 玉梅 春花 金凤 海燕 红梅 淑芬 凤英 翠花 丽娟 秋菊 冬梅 "
          "爱华 素琴 兰英 桂芳 秀珍 玉兰 巧云 月娥 彩霞 晓燕 丽萍 美玲 小红 "
          "雪梅 慧敏 春燕 香莲 凤兰 桂香 艳红 玉珍").split()
CN_NUM = "一二三四五六七八"
PLACES = ("村口", "东头路口", "小学门口", "文化广场旁", "老桥边", "后山脚下",
          "村委会南侧", "水库下游", "南地头", "西头岔路口", "卫生室后面",
          "磨坊旁", "老戏台前")
CROPS = ("玉米", "小麦", "花生", "红薯", "白菜", "辣椒", "黄豆")

# Neighbour disputes: (weight, topic, description, department a whistled
# one goes to, what the parties agreed).
NEIGHBOR = (
    (3, "宅基地界址纠纷", "{a}反映，邻居{b}家翻建院墙时墙基向其宅基地一侧多占约{cm}厘米，"
     "双方多次争执，请求村里调解。", "@justice",
     "以原界桩为准，{b}家拆除多占部分院墙，双方签订调解协议"),
    (2, "屋檐滴水纠纷", "{b}家新建二层楼房屋檐滴水落入{a}家院内，雨天院里积水，"
     "两家为此多次发生口角。", "@justice", "{b}家加装檐沟引水，双方签订调解协议"),
    (1.5, "建房遮挡采光纠纷", "{b}家新建楼房距{a}家不足{m}米，{a}称南面窗户全天照不到"
     "阳光，要求对方降低层高或给予补偿。", "@justice",
     "{b}家给予{a}家一次性补偿{money}元，双方签订调解协议"),
    (2.5, "排水沟堵塞纠纷", "{a}与{b}两家共用的排水沟被{b}家垫高填平，下雨后{a}家院内"
     "积水，双方争执不下。", "@justice", "两家共同出工疏通排水沟，恢复原走向"),
    (2, "柴草堆放占道纠纷", "{b}在两家之间的巷道堆放柴草和杂物，{a}家农用车无法通行，"
     "双方多次争吵。", "@justice", "{b}清走巷道柴草杂物，双方和好"),
    (1.5, "犬只咬伤赔偿纠纷", "{a}在村道上被{b}家散养的狗咬伤小腿，花去医药费{money}元，"
     "双方就赔偿数额协商未果。", "@police", "{b}赔偿医药费{money}元，并承诺拴养犬只"),
    (1.5, "家禽毁损菜地纠纷", "{b}家散养的鸡鸭多次进入{a}家菜地啄食青菜，{a}要求赔偿"
     "并要求对方圈养家禽。", "@justice", "{b}承诺圈养家禽，赔偿菜苗损失"),
    (1, "树枝越界纠纷", "{b}家院内核桃树枝越过院墙伸到{a}家房顶，落叶堵塞屋面排水，"
     "{a}要求修剪，对方不同意。", "@justice", "{b}同意修剪越界树枝，双方和解"),
    (2, "共用通道纠纷", "{b}在自家门前修建台阶，占用两家共用通道约{cm}厘米，"
     "{a}家三轮车进出困难。", "@enforcement", "{b}拆除多占台阶，恢复通道原宽度"),
    (0.7, "作坊噪音扰邻纠纷", "{b}家开办小型木材加工作坊，每天早晚机器噪音较大，"
     "邻居{a}多次上门反映无果。", "@enforcement",
     "{b}调整作业时间，早七点前、晚八点后停机"),
    (1, "养殖异味纠纷", "{b}在房后搭建猪圈养猪{n}头，气味和污水影响{a}家生活，"
     "双方发生争执。", "@enforcement", "{b}限期迁移猪圈并清理污水"),
    (1.5, "灌溉用水纠纷", "秋灌期间{a}与{b}因抽水先后顺序发生争执，{b}将{a}家水管拔出，"
     "双方险些动手。", "@police", "双方约定按地块顺序轮流灌溉，{b}当面道歉"),
    (1.5, "孩子打闹引发口角", "{a}与邻居{b}因两家孩子打闹引发口角，大人互不相让，"
     "两家关系紧张。", "@police", "双方互相道歉，和好如初"),
    (1, "化粪池渗漏纠纷", "{b}家化粪池紧挨{a}家院墙，近期出现渗漏，{a}家墙根返潮发臭，"
     "要求对方迁移。", "@justice", "{b}家对化粪池做防渗处理，承担墙根维修费用"),
    (1, "门前停车纠纷", "{b}长期将货车停在{a}家门前空地，{a}家出入不便，"
     "双方多次交涉未果。", "@police", "{b}将货车改停村委会停车场"),
    (1.2, "牛羊踩踏庄稼纠纷", "{b}家放养的牛羊踩踏{a}家{crop}地，{a}估计损失约{money}元，"
     "要求赔偿。", "@justice", "{b}赔偿损失{money}元，今后圈养牛羊"),
    (1, "施工震损房屋纠纷", "{b}家打地基施工时，{a}家老房墙体出现裂缝，{a}要求对方"
     "赔偿维修费用。", "@justice", "{b}承担维修费用{money}元，双方签订调解协议"),
    (0.7, "私拉电线纠纷", "{b}从{a}家房顶私拉电线接入自家，{a}担心安全要求拆除，"
     "双方争吵。", "@police", "{b}拆除私拉电线，由供电所另行接线"),
    (1.5, "界桩移位纠纷", "{a}发现自家与{b}家自留地之间的界桩被挪动约{cm}厘米，"
     "怀疑{b}家耕地时有意移动。", "@justice", "村组干部现场重新定桩，双方签字确认"),
    (0.5, "空调外机噪音纠纷", "{b}家空调外机正对{a}家卧室窗户，夜间噪音和热风影响休息，"
     "{a}要求移位。", "@justice", "{b}将空调外机移至侧墙"),
    (1.5, "晒粮占道纠纷", "秋收期间{b}在村道上晾晒{crop}，占了大半个路面，"
     "{a}驾车经过时与其发生争执。", "@police", "{b}将粮食移至晒场，双方和解"),
)
# Family disputes: (weight, topic, description, department, agreement).
# {a} reports unless the text names only {w} (a woman) or {h} (a man of
# {a}'s family); {b} is someone from another family.
MARRIAGE = (
    (3, "赡养老人纠纷", "{a}年过七旬，{k}个子女对赡养费分摊和轮流照顾意见不一，"
     "老人生活无着，请求村里调解。", "@justice",
     "子女签订赡养协议，按月分摊费用、轮流照顾"),
    (2, "婆媳矛盾纠纷", "{a}反映，{w}与儿媳因家务和带孩子问题长期不和，近日争吵升级，"
     "儿媳回了娘家。", "@justice", "婆媳各自检讨，儿媳已回家"),
    (2, "夫妻感情纠纷", "{w}反映丈夫{h}长期在外务工、收入不交家用，两人争吵不断，"
     "{w}提出离婚，请求调解。", "@justice", "双方同意和好，约定收入共同管理"),
    (1, "子女抚养费纠纷", "{w}与前夫{h}离婚后，{h}已连续{n}个月未支付孩子抚养费。",
     "@justice", "{h}补齐拖欠的抚养费，并按月支付"),
    (1.5, "分家析产纠纷", "{h}兄弟{k}人对父母留下的老宅和承包地如何分配意见不一，"
     "多次争吵。", "@justice", "兄弟签订分家协议，老宅由父母居住"),
    (1, "彩礼返还纠纷", "{h}家儿子与{b}家女儿解除婚约，{h}家要求返还彩礼{bride}元，"
     "双方争执不下。", "@justice", "双方协商返还部分彩礼，签订调解协议"),
    (0.6, "家庭暴力苗头", "{w}反映丈夫{h}酒后多次摔砸家具、言语威胁，担心人身安全。",
     "@police", "对{h}进行训诫教育，{h}写下保证书"),
    (0.6, "老人再婚家庭纠纷", "{a}老人丧偶后想再婚，子女坚决反对，家庭关系紧张。",
     "@civil", "子女同意尊重老人意愿，签订赡养协议"),
    (1, "留守老人照料纠纷", "{a}的儿子儿媳外出务工，将两个孙子交给老人照顾，"
     "老人体弱要求子女回家，双方发生争执。", "@civil",
     "儿媳回家照看孩子，儿子按月寄钱赡养老人"),
    (1, "夫妻债务争执", "{w}的丈夫{h}在外借款{debt}元未告知家人，{w}得知后与其争吵，"
     "要求分清债务。", "@justice", "夫妻双方理清债务，约定共同偿还"),
    (1, "兄妹赡养分歧", "{h}兄妹{k}人因母亲住院费用分担问题发生争执，互相推诿。",
     "@justice", "兄妹按份额分担住院费用"),
)
DEBT = ("农资赊账款拖欠纠纷", "{a}经营农资店，{b}赊购化肥、种子共计{debt}元，"
        "约定秋收后还款，至今未还。", "{b}已当场还清欠款")
HARD = {
    "neighbor": ("{many}户村民宅基地历史遗留纠纷",
                 "{zu}{a}、{b}等{many}户村民的宅基地界址因上世纪八十年代划分不清，"
                 "近年翻建时争执不断，已发生推搡，村镇两级多次调解未果。",
                 "依据原始档案重新确界，{many}户签订调解协议"),
    "marriage": ("{s}家兄妹房产继承纠纷",
                 "{h}父母去世后留下老宅一处和征地补偿款{comp}元，兄妹{k}人对继承"
                 "份额争执多年，已有人扬言起诉，村镇两级调解未果。",
                 "兄妹按法定份额分割补偿款，老宅归长子，签订调解协议"),
}
# Hazards, requests and public order: (title, description, department).
OTHER = {
    "safety": (
        ("电线杆倾斜", "{place}一根水泥电线杆向路面倾斜，底座松动，雨后有倒伏危险。",
         "@enforcement"),
        ("废弃机井未封盖", "{place}一口废弃机井井口敞开，周边杂草遮挡，易发生人员坠落。",
         "@enforcement"),
        ("危旧房屋墙体开裂", "{a}家老房后墙出现多条裂缝，屋内仍住着两位老人。", "@civil"),
        ("液化气钢瓶露天存放", "{place}小卖部门口露天堆放液化气钢瓶十余个，无遮挡。",
         "@enforcement"),
        ("河道护栏损毁", "{place}河道护栏被车辆撞断约{m}米，路边就是深水区。",
         "@enforcement"),
        ("电动车飞线充电", "{a}家从二楼窗户拉线给电动车充电，电线横跨村道。", "@police"),
        ("秸秆堆垛火灾隐患", "{zu}几户村民将玉米秸秆堆在房后，紧挨电线和柴灶，"
         "存在火灾隐患。", "@enforcement"),
        ("山坡落石隐患", "{place}上方山坡有松动石块，雨后已有小石块滚落路面。",
         "@enforcement"),
    ),
    "environment": (
        ("垃圾清运不及时", "{place}垃圾集中点已{n}天未清运，气味较大，招来蚊蝇。",
         "@enforcement"),
        ("养殖污水直排沟渠", "{b}家养殖场粪污直接排入{place}沟渠，水体发黑发臭。",
         "@enforcement"),
        ("河塘漂浮垃圾", "{place}河塘水面漂浮大量塑料袋和秸秆。", "@enforcement"),
        ("公厕损坏", "{place}公共厕所水箱损坏、门锁脱落，已停用一周。", "@enforcement"),
        ("露天焚烧秸秆", "有村民在{place}田里焚烧秸秆，浓烟飘进村里。", "@enforcement"),
        ("生活污水外溢", "{place}污水管网堵塞，污水从检查井溢出流到路面。",
         "@enforcement"),
        ("建筑垃圾乱倒", "有车辆在{place}路边倾倒建筑垃圾，占用半幅路面。",
         "@enforcement"),
    ),
    "livelihood": (
        ("低保申请咨询", "{a}家中{hard}，生活困难，咨询低保申请条件和办理流程。", "@civil"),
        ("残疾人补贴未到账", "{a}反映本季度残疾人两项补贴尚未到账。", "@civil"),
        ("停水{n}天", "{place}一带已停水{n}天，村民生活用水困难。", "@enforcement"),
        ("路灯损坏", "{place}{n}盏路灯不亮，夜间行人出行不便。", "@enforcement"),
        ("高龄津贴申领", "{a}年满八十周岁，家属咨询高龄津贴申领手续。", "@civil"),
        ("危房改造申请", "{a}家住房为七十年代土坯房，墙体老化，申请农村危房改造。",
         "@civil"),
        ("饮水管道破裂", "{place}饮水主管道破裂，水流到路上，附近几户水压不足。",
         "@enforcement"),
        ("医保补缴咨询", "{a}外出务工返乡，咨询补缴城乡居民医保的办法。", "@civil"),
        ("临时救助申请", "{a}家中{hard}，申请临时救助。", "@civil"),
    ),
    "security": (
        ("农用三轮车被盗", "{a}停放在院门外的农用三轮车夜间被盗。", "@police"),
        ("电动车电瓶被盗", "{zu}{n}户村民的电动车电瓶一夜之间被盗。", "@police"),
        ("陌生车辆夜间停留", "近几天夜里有陌生车辆在{place}附近停留，村民担心有人盗窃。",
         "@police"),
        ("酒后滋事", "{b}酒后在{place}小卖部摔砸物品、辱骂他人。", "@police"),
        ("疑似电信诈骗", "{a}接到自称公安机关的电话，要求把存款转到“安全账户”，"
         "家属担心被骗。", "@police"),
        ("果园苹果被偷摘", "{a}家果园的苹果夜间被人偷摘约{n}百斤。", "@police"),
    ),
}
HARDSHIP = ("丈夫因病去世", "本人患病无劳动能力", "孩子上学开支大、老人常年卧床",
            "房屋失火受损", "儿子车祸致残")

# Village mediation notes, in the order the steps happen.
V_LEARN = ("网格员上门走访，了解双方诉求", "已到现场查看并拍照留存",
           "网格员电话联系双方，约定调解时间")
V_MEDIATE = ("村调委会组织双方面对面调解", "邀请村里老党员、老干部参与调解",
             "分别找双方亲属做思想工作", "向双方讲解相关法律规定")
V_AGREE = ("双方初步同意调解方案，待签协议", "双方基本达成一致，约定次日签协议")
V_CHECK = ("网格员已到现场核实", "已拍照登记，联系相关人员处理", "已电话联系当事人了解情况")
V_FAILED = ("村调委会两次调解未果", "双方分歧较大，调解未成", "一方拒不到场调解")
WHISTLE = ("村调委会两次调解未果，申请镇里协调", "涉及违法行为，需相关部门介入",
           "超出村级调处能力，请求镇指挥中心派单", "需相关部门到现场处置")
T_WHISTLE = ("涉及多户、历史遗留，镇级调解未果，申请县级协调",
             "当事人扬言越级上访，需县级部门牵头化解")
T_PROGRESS = ("镇综治中心接到吹哨，已安排人员了解情况", "镇调委会组织双方调解",
              "镇综治中心召集村干部和双方当事人座谈")
DISPATCH_NOTE = ("请按时到现场处置", "请牵头调解，村里配合", "请核实情况后依法处理")
ACK_NOTE = ("已报到，马上赶赴现场", "收到，已安排人员", "已到现场", "收到派单")
D_PROGRESS = ("已到现场核实情况", "约双方到调解室调解", "已向当事人释法说理",
              "已分别听取双方意见")
D_CHECK = ("已到现场核实情况", "已联系相关单位配合处置", "已现场勘查，制定处置方案")
C_PROGRESS = ("县司法局联合镇司法所组织双方调解", "已邀请律师参与释法说理",
              "调取历史档案资料核实情况")
MEDIATED = ("经调解双方达成一致，签订调解协议", "双方握手言和，当场签订调解协议",
            "双方各让一步，达成口头协议并履行")
REMEDIATED = ("再次组织调解，对方当场履行协议", "督促对方履行协议，已履行到位")
SOLVED = {
    "debt": ("经释法说理，欠款已当场结清",),
    "safety": ("已联系相关单位完成整改", "已设置警示标志并完成加固",
               "已督促当事人整改到位"),
    "environment": ("已组织清理完毕", "已责令整改，现场恢复", "已协调保洁公司清运"),
    "livelihood": ("已协助提交申请材料", "已联系相关部门落实", "已上门解释政策并办理"),
    "security": ("已加强夜间巡逻", "已协助报案并登记", "已批评教育并调解赔偿"),
}
UNFOUNDED = ("经现场核查，反映情况不属实", "经核实，系误会", "经核查，已不存在所反映问题")
REFERRED = "双方分歧较大，已引导当事人通过诉讼途径解决"
FOLLOWUP = {"satisfied": ("当事人对处理结果表示满意", "回访满意", "当事人表示感谢"),
            "basic": ("当事人表示基本满意，希望后续跟进", "基本满意"),
            "unsatisfied": ("当事人认为对方未按协议履行", "当事人对处理结果不满意")}
REOPEN = "对方未按调解协议履行，当事人再次反映"
NOTICES = (
    ("关于开展秋冬季矛盾纠纷集中排查化解工作的通知",
     "各镇、村：即日起至年底开展矛盾纠纷集中排查化解，做到小事不出村、大事不出镇、"
     "矛盾不上交。各村每月底前报送排查报告，无纠纷的报零报告。"),
    ("关于做好秋收期间安全生产和防火工作的通知",
     "各镇、村：秋收期间严禁露天焚烧秸秆，排查农机、用电和柴草堆放隐患，"
     "发现问题及时上报。"),
)
CHECK_NOTE = ("本月排查未发现矛盾纠纷", "排查发现{n}起苗头性纠纷，已纳入台账跟踪化解")

OUTCOME_LABEL = {"mediated": "调解成功", "solved": "已解决", "referred": "转办",
                 "unfounded": "不属实"}
STATUS_LABEL = {"open": "待处理", "dispatched": "已派单", "resolved": "已办结",
                "closed": "已结案"}
CATEGORY_LABEL = {"marriage": "婚姻家庭", "neighbor": "邻里纠纷", "debt": "债务纠纷",
                  "land": "土地/山林", "safety": "安全隐患", "environment": "环境卫生",
                  "livelihood": "民生诉求", "security": "治安", "other": "其他"}


class Fail(Exception):
    """The generator cannot go on: a gridnode process failed, or a check."""


def parent_of(path):
    return path.rsplit("/", 1)[0] if "/" in path else None


def tree_path(a, b):
    """Nodes on the tree path from a to b, both included."""
    up, x = [a], a
    anc_b = []
    y = b
    while y is not None:
        anc_b.append(y)
        y = parent_of(y)
    while x not in anc_b:
        x = parent_of(x)
        up.append(x)
    down = anc_b[:anc_b.index(x)]
    return up + down[::-1]


def fmt(ms):
    return dt.datetime.fromtimestamp(ms / 1000, BJ).strftime("%m-%d %H:%M")


# -- the plan: everything the seed decides, before any process runs ---------

class Ref:
    """An argument known only when the plan runs: the id a case's report or
    a notice printed."""

    def __init__(self, obj):
        self.obj = obj


class Case:
    def __init__(self, n, village, category, severity, flow):
        self.n, self.village, self.category = n, village, category
        self.severity, self.flow = severity, flow
        self.steps = []       # (t, node, actor, argv with Ref), in time order
        self.id = None
        self.holder = None    # the node that wrote this case's latest change
        self.status = self.outcome = self.satisfaction = None
        self.level = None
        self.assignments = []  # "on_time" | "late" | "unacked"
        self.unsatisfied = 0

    def add(self, t, node, actor, *argv):
        if self.steps:
            t = max(t, self.steps[-1][0] + MIN)
        self.steps.append((t, node, actor, list(argv)))
        return t


class Notice:
    def __init__(self, t, title, body, actor):
        self.t, self.title, self.body, self.actor = t, title, body, actor
        self.id = None
        self.reads = []       # (t, village, actor)


class Plan:
    def __init__(self, month, seed):
        self.rng = random.Random(seed)
        self.month, self.seed = month, seed
        y, m = month
        self.ndays = calendar.monthrange(y, m)[1]
        self.start = self.at(1, 0, 0)
        self.cutoff = self.at(self.ndays, 21, 0)   # no event after this
        self.flush_t = self.at(self.ndays, 23, 0)
        self.setup_t = self.start - 14 * HOUR       # the day before, 10:00
        self.nodes = []       # (path, parent, Chinese name)
        self.actors = {}      # path -> [names]
        self.grids = {}       # village -> [grid names]
        self.cases, self.notices, self.checks = [], [], []
        self._tree()
        self._cases()
        self._notices()
        self._checks()

    # time helpers (all Beijing time)
    def at(self, day, h, mi):
        y, m = self.month
        return int(dt.datetime(y, m, day, h, mi, tzinfo=BJ).timestamp() * 1000)

    def office(self, t):
        """t, or the next working morning when t falls outside 08:00-18:00."""
        d = dt.datetime.fromtimestamp(t / 1000, BJ)
        mins = d.hour * 60 + d.minute
        base = int(dt.datetime(d.year, d.month, d.day, tzinfo=BJ).timestamp() * 1000)
        if mins < 8 * 60:
            return base + 8 * HOUR + self.rng.randint(20 * 60, 90 * 60) * 1000
        if mins >= 18 * 60:
            return base + DAY + 8 * HOUR + self.rng.randint(20 * 60, 150 * 60) * 1000
        return t

    def later(self, t, lo_min, hi_min):
        return self.office(t + self.rng.randint(lo_min, hi_min) * MIN +
                           self.rng.randint(0, 59) * 1000)

    def report_time(self, day, night=False):
        if night and self.rng.random() < 0.5:
            mins = self.rng.randint(19 * 60, 22 * 60 + 30)
        else:
            mins = self.rng.choice((self.rng.randint(8 * 60, 11 * 60 + 30),
                                    self.rng.randint(14 * 60, 17 * 60 + 30)))
        return self.at(day, mins // 60, mins % 60) + self.rng.randint(0, 59) * 1000

    def pick_day(self, first=1, last=None):
        last = last or self.ndays
        days = list(range(first, last + 1))
        y, m = self.month
        w = [0.5 if dt.date(y, m, d).weekday() >= 5 else 1.0 for d in days]
        return self.rng.choices(days, weights=w)[0]

    # people and places
    def person(self, village=None, female=None, surname=None):
        r = self.rng
        if surname is None:
            if village in CLAN and r.random() < 0.4:
                surname = CLAN[village]
            else:
                surname = r.choice(SURNAMES[:20]) if r.random() < 0.6 else \
                    r.choice(SURNAMES)
        if female is None:
            female = r.random() < 0.45
        return surname + r.choice(FEMALE if female else MALE)

    def _tree(self):
        r = self.rng
        self.nodes.append((COUNTY, None, NAMES[COUNTY]))
        self.nodes.append((COUNTY_DEPT, COUNTY, NAMES[COUNTY_DEPT]))
        self.nodes.append((TOWN, COUNTY, NAMES[TOWN]))
        for d in TOWN_DEPTS:
            self.nodes.append((TOWN + "/" + d, TOWN, NAMES[TOWN + "/" + d]))
        for v, name in VILLAGES:
            self.nodes.append((TOWN + "/" + v, TOWN, name))
        for path, _, _ in self.nodes:
            v = path.rsplit("/", 1)[-1]
            self.actors[path] = [self.person(v) for _ in range(2)]
        self.weights = {}
        for v, _ in VILLAGES:
            p = TOWN + "/" + v
            self.grids[p] = ["%s组网格" % CN_NUM[i] for i in range(r.randint(3, 6))]
            self.weights[p] = r.uniform(0.6, 1.6)

    def actor(self, path):
        return self.rng.choice(self.actors[path])

    def slots(self, grid, a, b, h, w):
        """The values a case's title, description and agreement share."""
        r = self.rng
        n = r.randint(2, 6)
        return dict(
            a=a, b=b, h=h, w=w, s=h[0], zu=grid[:-2], grid=grid,
            place=r.choice((grid[:-2], "")) + r.choice(PLACES),
            cm=r.choice((20, 30, 40, 50, 60, 80)), m=r.choice((3, 4, 5, 6)),
            n=n, many=CN_NUM[r.randint(4, 8) - 1], k=r.choice(("两", "三", "四")),
            money=r.choice((300, 500, 800, 1200, 1500, 2000, 3000)),
            bride=r.choice((38000, 58000, 68000, 88000, 100000)),
            debt=r.choice((6800, 8000, 12000, 20000, 35000)),
            comp=r.choice((120000, 180000, 260000)),
            crop=r.choice(CROPS), hard=r.choice(HARDSHIP))

    def text(self, case):
        """Title, description, grid, reporter, the department a whistled case
        goes to and what the parties agree, from the lists."""
        r, v = self.rng, case.village
        grid = r.choice(self.grids[v])
        vn = v.rsplit("/", 1)[-1]
        a = self.person(vn)
        b = self.person(vn)
        while b[1:] == a[1:]:
            b = self.person(vn)
        h = self.person(vn, female=False, surname=a[0])
        while h == a:
            h = self.person(vn, female=False, surname=a[0])
        w = self.person(vn, female=True)
        reporter, agree, dept = a, None, None
        if case.severity == "hard":
            title, desc, agree = HARD[case.category]
            reporter = h if case.category == "marriage" else a
        elif case.category in ("neighbor", "marriage"):
            table = NEIGHBOR if case.category == "neighbor" else MARRIAGE
            _, topic, desc, dept, agree = r.choices(
                table, weights=[e[0] for e in table])[0]
            if case.category == "neighbor":
                forms = ["{a}与{b}" + topic, "{zu}" + topic]
                if a[0] != b[0]:
                    forms.append("%s、%s两家%s" % (a[0], b[0], topic))
            else:
                if "{w}" in desc and "{a}" not in desc:
                    reporter = w
                elif "{h}" in desc and "{a}" not in desc:
                    reporter = h
                forms = ["{zu}%s家%s" % (reporter[0], topic),
                         reporter + "家" + topic]
            title = r.choice(forms)
        elif case.category in ("debt", "land"):
            topic, desc, agree = DEBT
            dept = "@justice"
            title = "{a}与{b}" + topic
        else:
            title, desc, dept = r.choice(OTHER[case.category])
            if "{a}" in desc:
                title = "{a}家" + title if r.random() < 0.5 else "{zu}" + title
            elif r.random() < 0.6:
                title = "{zu}" + title
        case.grid, case.reporter, case.dept = grid, reporter, dept
        slots = self.slots(grid, a, b, h, w)
        case.title, case.desc = title.format(**slots), desc.format(**slots)
        case.agree = agree.format(**slots) if agree else None

    # -- case flows --------------------------------------------------------

    def _cases(self):
        r = self.rng
        cats = (["neighbor"] * N_NEIGHBOR + ["marriage"] * N_MARRIAGE +
                ["debt"] * N_OTHER_DISPUTE)
        r.shuffle(cats)
        # Disputes: two hard (one of each kind), eleven dispatched to a town
        # department (one reopened, one referred to court), two settled by
        # the town itself, one reopened in the village, the rest simple.
        flows = []
        hard = {"neighbor": 1, "marriage": 1}
        rest = []
        for c in cats:
            if hard.get(c):
                hard[c] -= 1
                flows.append((c, "hard", "county"))
            else:
                rest.append(c)
        debt = [c for c in rest if c == "debt"]
        plain = [c for c in rest if c != "debt"]
        flows.append((debt[0], "simple", "village_solved"))
        kinds = (["dept_reopen", "dept_referred"] + ["dept"] * 9 +
                 ["town"] * 2 + ["village_reopen"])
        for i, c in enumerate(plain):
            f = kinds[i] if i < len(kinds) else "village"
            sev = "simple" if f.startswith("village") else "complex"
            flows.append((c, sev, f))
        # Hazards, requests, public order; five of them left open at the end.
        n_other = r.randint(24, 32)
        for i in range(n_other - 5):
            c = r.choices(("safety", "environment", "livelihood", "security"),
                          weights=(28, 22, 30, 20))[0]
            dept = r.random() < 0.28
            flows.append((c, "complex" if dept else "simple",
                          "dept" if dept else "village"))
        # One the village graded simple turns out to need a department (it
        # counts against 分级化解率, settled as graded).
        for i, (c, sev, f) in enumerate(flows):
            if f == "dept" and c not in DISPUTES:
                flows[i] = (c, "simple", f)
                break
        flows += [("livelihood", "simple", "open_village"),
                  ("environment", "simple", "open_village"),
                  ("safety", "complex", "open_dispatched"),
                  ("environment", "complex", "open_dispatched"),
                  ("livelihood", "complex", "open_acked")]
        r.shuffle(flows)
        # A few departments report in late; a few reports prove unfounded.
        dept_idx = [i for i, f in enumerate(flows) if f[2] == "dept"]
        late = set(r.sample(dept_idx, 3))
        nd_idx = [i for i, f in enumerate(flows) if f[0] not in DISPUTES and
                  f[2] in ("dept", "village")]
        unfounded = set(r.sample(nd_idx, r.randint(2, 4)))
        villages = [p for p in self.weights]
        wts = [self.weights[p] for p in villages]
        for i, (cat, sev, flow) in enumerate(flows):
            v = r.choices(villages, weights=wts)[0]
            c = Case(i, v, cat, sev, flow)
            self.text(c)
            c.late = i in late
            c.unfounded = i in unfounded
            self.schedule(c)
            self.cases.append(c)
        self.cases.sort(key=lambda c: c.steps[0][0])

    def schedule(self, c):
        """Picks a report day such that every step that must happen falls in
        the month, then writes the steps."""
        open_flow = c.flow.startswith("open_")
        for attempt in range(200):
            if open_flow:
                day = self.pick_day(self.ndays - 1)
            elif "reopen" in c.flow:
                day = self.pick_day(1, self.ndays - 14)
            else:
                day = self.pick_day()
            c.steps, c.assignments, c.unsatisfied = [], [], 0
            c.status = c.outcome = c.satisfaction = c.level = None
            t = self.report_time(day, night=c.category == "security")
            if getattr(self, "flow_" + c.flow)(c, t) is not False and \
                    c.steps[-1][0] <= self.cutoff:
                return
        raise Fail("cannot fit case %d (%s) into the month" % (c.n, c.flow))

    def v(self, c):
        return self.actor(c.village)

    def report(self, c, t):
        argv = ["report", "--category", c.category, "--title", c.title,
                "--desc", c.desc, "--grid", c.grid, "--reporter", c.reporter,
                "--severity", c.severity]
        c.level = c.village
        c.status = "open"
        return c.add(t, c.village, self.v(c), *argv)

    def vprogress(self, c, t, k, failed=False):
        """k village progress notes: a dispute is first looked into, then
        mediated, then agreed on (or the mediation fails); anything else
        is checked on site."""
        r = self.rng
        if c.category not in DISPUTES:
            notes = r.sample(V_CHECK, k)
        else:
            steps = [r.choice(V_LEARN)] + r.sample(V_MEDIATE, 2)
            if failed:
                notes = steps[:k - 1] + [r.choice(V_FAILED)]
            elif k >= 3:
                notes = steps[:k - 1] + [r.choice(V_AGREE)]
            else:
                notes = steps[:k]
        for note in notes:
            t = c.add(self.later(t, 40, 60 * 20), c.village, self.v(c),
                      "progress", Ref(c), "--note", note)
        return t

    def resolve_note(self, c, outcome):
        r = self.rng
        if outcome == "mediated":
            if c.unsatisfied:
                return r.choice(REMEDIATED)
            return c.agree if c.agree and r.random() < 0.8 else r.choice(MEDIATED)
        if outcome == "solved" and c.agree:
            return c.agree
        if outcome == "referred":
            return REFERRED
        if outcome == "unfounded":
            return r.choice(UNFOUNDED)
        return r.choice(SOLVED[c.category])

    def resolve(self, c, t, node, actor, outcome):
        c.status, c.outcome = "resolved", outcome
        return c.add(t, node, actor, "resolve", Ref(c), "--outcome", outcome,
                     "--note", self.resolve_note(c, outcome))

    def followup(self, c, t, sat=None, optional=True):
        """A follow-up one to three days later; dropped when it would fall
        after the month (the case then stays resolved)."""
        r = self.rng
        if sat is None:
            sat = r.choices(("satisfied", "basic"), weights=(85, 15))[0]
        t = self.later(t, 60 * 20, 60 * 70)
        if optional and (t > self.cutoff or r.random() < 0.08):
            return None
        c.status, c.satisfaction = "closed", sat
        return c.add(t, c.village, self.v(c), "followup", Ref(c),
                     "--satisfaction", sat, "--note", r.choice(FOLLOWUP[sat]))

    def outcome_for(self, c):
        if c.category in DISPUTES:
            return "mediated"
        return "unfounded" if c.unfounded else "solved"

    def dispatch(self, c, t, node, dept, ack=True, late=False):
        """Dispatch from node to dept (default deadlines), then the ack: in
        time, or after the ack deadline when late. Returns (the ack time, or
        the dispatch time when not acked; the department's path)."""
        r = self.rng
        t = c.add(t, node, self.actor(node), "dispatch", Ref(c), "--to",
                  dept.rsplit("/", 1)[-1], "--note", r.choice(DISPATCH_NOTE))
        path = dept if "/" in dept else node + "/" + dept
        c.status = "dispatched"
        ack_h = ACK_HOURS.get(c.category, 2)
        if not ack:
            c.assignments.append("unacked")
            return t, path
        if late:
            t2 = t + int(ack_h * HOUR) + r.randint(20, 200) * MIN + \
                r.randint(0, 59) * 1000
            c.assignments.append("late")
        else:
            t2 = t + r.randint(4, int(ack_h * 60) - 5) * MIN + \
                r.randint(0, 59) * 1000
            c.assignments.append("on_time")
        t = c.add(t2, path, self.actor(path), "ack", Ref(c), "--note",
                  r.choice(ACK_NOTE))
        return t, path

    def whistle(self, c, t, node, reason):
        c.add(t, node, self.actor(node), "whistle", Ref(c), "--reason", reason)
        c.level = parent_of(node)
        return c.steps[-1][0]

    def flow_village(self, c, t, outcome=None):
        r = self.rng
        t = self.report(c, t)
        disp = c.category in DISPUTES
        t = self.vprogress(c, t, r.randint(1, 3) if disp else r.randint(0, 1))
        t = self.resolve(c, self.later(t, 30, 60 * 30), c.village, self.v(c),
                         outcome or self.outcome_for(c))
        self.followup(c, t)

    def flow_village_solved(self, c, t):
        return self.flow_village(c, t, "solved")

    def flow_village_reopen(self, c, t):
        t = self.report(c, t)
        t = self.vprogress(c, t, 2)
        t = self.resolve(c, self.later(t, 60, 60 * 24), c.village, self.v(c),
                         "mediated")
        t = self.followup(c, t, "unsatisfied", optional=False)
        c.unsatisfied += 1
        t = c.add(self.later(t, 10, 60 * 3), c.village, self.v(c), "reopen",
                  Ref(c), "--reason", REOPEN)
        c.status = "open"
        t = c.add(self.later(t, 60, 60 * 20), c.village, self.v(c), "progress",
                  Ref(c), "--note", self.rng.choice(V_MEDIATE))
        t = self.resolve(c, self.later(t, 60, 60 * 30), c.village, self.v(c),
                         "mediated")
        self.followup(c, t, "basic", optional=False)

    def escalate(self, c, t):
        """Report, a village attempt or two, and the whistle to the town."""
        r = self.rng
        t = self.report(c, t)
        disp = c.category in DISPUTES
        if disp:
            t = self.vprogress(c, t, r.randint(2, 3), failed=True)
        else:
            t = self.vprogress(c, t, r.randint(0, 1))
        reason = r.choice(WHISTLE[:3] if disp else WHISTLE[1:])
        return self.whistle(c, self.later(t, 10, 60 * (30 if disp else 2)),
                            c.village, reason)

    def dept_handles(self, c, t, node, dept, outcome, late=False):
        r = self.rng
        t, path = self.dispatch(c, self.later(t, 10, 90), node, dept, late=late)
        hrs = RESOLVE_HOURS.get(c.category, 120)
        if r.random() < 0.6:
            t = c.add(self.later(t, 30, 60 * 6), path, self.actor(path),
                      "progress", Ref(c), "--note", r.choice(
                          D_PROGRESS if c.category in DISPUTES else D_CHECK))
        t2 = self.later(t, 60, int(min(hrs * 0.6, 72) * 60))
        return self.resolve(c, t2, path, self.actor(path), outcome)

    def flow_dept(self, c, t, outcome=None):
        t = self.escalate(c, t)
        t = self.dept_handles(c, t, TOWN, c.dept, outcome or self.outcome_for(c),
                              late=c.late)
        self.followup(c, t)

    def flow_dept_referred(self, c, t):
        c.dept = "@justice"
        return self.flow_dept(c, t, "referred")

    def flow_dept_reopen(self, c, t):
        t = self.escalate(c, t)
        t = self.dept_handles(c, t, TOWN, c.dept, "mediated")
        t = self.followup(c, t, "unsatisfied", optional=False)
        c.unsatisfied += 1
        t = c.add(self.later(t, 10, 60 * 3), c.village, self.v(c), "reopen",
                  Ref(c), "--reason", REOPEN)
        c.status = "open"
        t = self.dept_handles(c, self.later(t, 60, 60 * 4), TOWN, c.dept,
                              "mediated")
        self.followup(c, t, "satisfied", optional=False)

    def flow_town(self, c, t):
        r = self.rng
        t = self.escalate(c, t)
        t = c.add(self.later(t, 20, 60 * 4), TOWN, self.actor(TOWN), "progress",
                  Ref(c), "--note", r.choice(T_PROGRESS))
        t = self.resolve(c, self.later(t, 60 * 3, 60 * 48), TOWN,
                         self.actor(TOWN), "mediated")
        self.followup(c, t)

    def flow_county(self, c, t):
        r = self.rng
        t = self.escalate(c, t)
        t = c.add(self.later(t, 20, 60 * 4), TOWN, self.actor(TOWN), "progress",
                  Ref(c), "--note", T_PROGRESS[1])
        t = self.whistle(c, self.later(t, 60 * 20, 60 * 60), TOWN,
                         r.choice(T_WHISTLE))
        t, path = self.dispatch(c, self.later(t, 60, 60 * 20), COUNTY,
                                "@justice")
        for note in r.sample(C_PROGRESS, 2):
            t = c.add(self.later(t, 60 * 5, 60 * 30), path, self.actor(path),
                      "progress", Ref(c), "--note", note)
        t = self.resolve(c, self.later(t, 60 * 4, 60 * 40), path,
                         self.actor(path), "mediated")
        self.followup(c, t, "satisfied", optional=False)

    def flow_open_village(self, c, t):
        t = self.report(c, t)
        if self.rng.random() < 0.7:
            c.add(self.later(t, 30, 60 * 3), c.village, self.v(c), "progress",
                  Ref(c), "--note", V_CHECK[0])

    def flow_open_dispatched(self, c, t):
        t = self.escalate(c, t)
        self.dispatch(c, self.later(t, 10, 60), TOWN, c.dept, ack=False)
        # Past the ack deadline before the month ends: overdue.
        ack_h = ACK_HOURS.get(c.category, 2)
        return c.steps[-1][0] + ack_h * HOUR < self.cutoff

    def flow_open_acked(self, c, t):
        t = self.escalate(c, t)
        t, path = self.dispatch(c, self.later(t, 10, 60), TOWN, c.dept)
        c.add(self.later(t, 30, 60 * 3), path, self.actor(path), "progress",
              Ref(c), "--note", D_CHECK[0])

    # -- notices and check reports -------------------------------------------

    def _notices(self):
        r = self.rng
        for (title, body), (lo, hi) in zip(NOTICES, ((2, 6), (12, 18))):
            day = self.pick_day(lo, hi)
            t = self.at(day, r.randint(9, 10), r.randint(0, 59))
            n = Notice(t, title, body, self.actor(COUNTY))
            for v in self.grids:
                if r.random() < 0.86:
                    tr = self.later(t, 60 * 2, 60 * 50)
                    if tr <= self.cutoff:
                        n.reads.append((tr, v, self.actor(v)))
            self.notices.append(n)

    def _checks(self):
        """Twelve of the fourteen villages file their check report: most by
        the due day (the 25th, gridnode's default), two a day or three late;
        two do not file."""
        r = self.rng
        filers = sorted(r.sample(sorted(self.grids), 12))
        late = set(r.sample(filers, 2))
        for v in filers:
            if v in late:
                day = self.pick_day(26, min(28, self.ndays))
            else:
                day = self.pick_day(20, 25)
            t = self.at(day, r.randint(9, 16), r.randint(0, 59))
            t += r.randint(0, 59) * 1000
            found = 0 if r.random() < 0.7 else r.randint(1, 3)
            note = CHECK_NOTE[0] if found == 0 else CHECK_NOTE[1].format(n=found)
            self.checks.append((t, v, self.actor(v), found, note))

    def events(self):
        """Every event, sorted by time: (t, tie, kind, obj, node, actor, argv)."""
        ev, k = [], 0
        for c in self.cases:
            for t, node, actor, argv in c.steps:
                ev.append((t, k, "case", c, node, actor, argv))
                k += 1
        for n in self.notices:
            ev.append((n.t, k, "notice", n, COUNTY, n.actor,
                       ["notice", "--title", n.title, "--body", n.body]))
            k += 1
            for t, v, actor in n.reads:
                ev.append((t, k, "read", n, v, actor, ["read", Ref(n)]))
                k += 1
        for t, v, actor, found, note in self.checks:
            ev.append((t, k, "check", None, v, actor,
                       ["check", "--period", "%04d-%02d" % self.month,
                        "--found", str(found), "--note", note]))
            k += 1
        ev.sort(key=lambda e: (e[0], e[1]))
        return ev


# -- running it: real gridnode processes -------------------------------------

class County:
    def __init__(self, binary, out, plan, log=None):
        self.bin, self.out, self.plan = binary, Path(out), plan
        self.dirs = {p: self.out / p.replace("/", "_") for p, _, _ in plan.nodes}
        self.keys = {}
        self.gen = {p: 0 for p in self.dirs}   # bumped when a node's feed grows
        self.sent = {}                          # (a, b) -> gen[a] at last move
        self.upto = {}                          # (a, b) -> export upto
        self.nproc = 0
        self.moves = 0
        self.verbs = {}
        self.env = dict(os.environ)
        self.env.pop("GRIDNODE_DATA", None)
        self.tmp = Path(tempfile.mkdtemp(prefix="gridsync-sample."))
        self.xfer = str(self.tmp / "x.gsf")
        self.log = log

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def call(self, args, t, node=None, check=True):
        argv = [self.bin] + [str(a) for a in args]
        if node is not None:
            argv += ["--data", str(self.dirs[node])]
        env = self.env
        env["GRIDNODE_NOW_MS"] = str(t)
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env)
        self.nproc += 1
        if check and p.returncode != 0:
            raise Fail("%s\n  exited %d at %s (GRIDNODE_NOW_MS=%d): %s" % (
                " ".join(argv), p.returncode, fmt(t), t,
                p.stderr.decode("utf-8", "replace").strip()))
        return p

    def js(self, node, args, t):
        p = self.call(list(args) + ["--json"], t, node)
        return json.loads(p.stdout)

    def has_verb(self, verb):
        """Whether this gridnode has the verb (some are still being built)."""
        if verb not in self.verbs:
            p = self.call([verb, "--help"], self.plan.setup_t, check=False)
            self.verbs[verb] = p.returncode == 0
        return self.verbs[verb]

    # -- the tree ---------------------------------------------------------

    def build(self):
        t = self.plan.setup_t
        bundle = str(self.tmp / "join.bundle")
        for path, parent, _ in self.plan.nodes:
            args = ["init", "--path", path]
            if parent is not None:
                args += ["--root-key", self.keys[COUNTY]]
            self.keys[path] = self.js(path, args, t)["key"]
            if parent is not None:
                self.call(["enroll", path, self.keys[path], "--out", bundle,
                           "--endpoint", "tcp://127.0.0.1:1"], t, parent)
                self.call(["join", bundle], t, path)
                self.gen[parent] += 1
            self.gen[path] += 1

    # -- moving changes ---------------------------------------------------

    def move(self, a, b, t):
        """export --for b at a, import at b: what b may hold that a wrote or
        received since the last move a→b. Returns the number applied."""
        if self.sent.get((a, b)) == self.gen[a]:
            return 0
        self.sent[(a, b)] = self.gen[a]
        e = self.js(a, ["export", "--for", b, "--since",
                        self.upto.get((a, b), 0), "--out", self.xfer], t)
        self.upto[(a, b)] = e["upto"]
        if e["changes"] == 0:
            return 0
        self.moves += 1
        r = self.js(b, ["import", self.xfer], t)
        if r["rejected"]:
            raise Fail("import %s → %s at %s: %s" % (a, b, fmt(t), r))
        if r["applied"]:
            self.gen[b] += 1
        return r["applied"]

    def route(self, a, b, t):
        p = tree_path(a, b)
        for x, y in zip(p, p[1:]):
            self.move(x, y, t)

    def flush(self, t):
        """Moves every edge up, then down, until a whole round applies
        nothing: then every node holds what its scope says (DESIGN §4)."""
        villages = [p for p in self.plan.grids]
        depts = [TOWN + "/" + d for d in TOWN_DEPTS]
        up = [(v, TOWN) for v in villages] + [(d, TOWN) for d in depts] + \
             [(COUNTY_DEPT, COUNTY), (TOWN, COUNTY)]
        down = [(COUNTY, TOWN), (COUNTY, COUNTY_DEPT)] + \
               [(TOWN, v) for v in villages] + [(TOWN, d) for d in depts]
        for rnd in range(5):
            applied = sum(self.move(a, b, t) for a, b in up + down)
            if applied == 0:
                return rnd + 1
        raise Fail("flush did not settle after 5 rounds")

    # -- the month ----------------------------------------------------------

    def play(self, hooks):
        for t, _, kind, obj, node, actor, argv in self.plan.events():
            if kind in hooks and not hooks[kind]:
                continue
            if kind == "case" and obj.holder not in (None, node):
                self.route(obj.holder, node, t)
            elif kind == "read":
                self.route(COUNTY, node, t)
            args = [a.obj.id if isinstance(a, Ref) else a for a in argv]
            args += ["--actor", actor]
            if kind in hooks:   # verbs still being built: no JSON assumed
                self.call(args, t, node)
                self.gen[node] += 1
                continue
            j = self.js(node, args, t)
            self.gen[node] += 1
            if kind == "case":
                if argv[0] == "report":
                    obj.id = j["case"]
                obj.holder = node
            elif kind == "notice":
                obj.id = j["change"]


def run(args):
    t0 = time.monotonic()
    if not os.access(args.gridnode, os.X_OK) or os.path.isdir(args.gridnode):
        raise Fail("--gridnode %s is not an executable (run make)" % args.gridnode)
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise Fail("--out %s exists and is not an empty directory" % out)
    out.mkdir(parents=True, exist_ok=True)
    plan = Plan(args.month, args.seed)
    county = County(args.gridnode, out, plan)
    try:
        hooks = {"check": county.has_verb("check"),
                 "read": county.has_verb("read")}
        skipped = [v for v, ok in hooks.items() if not ok]
        county.build()
        county.play(hooks)
        rounds = county.flush(plan.flush_t)
        if county.has_verb("rollup"):
            # The town signs its rollups for the month (as its daemon would)
            # and they go up to the county, which sums them in its stats.
            county.js(TOWN, ["rollup"], plan.flush_t)
            county.gen[TOWN] += 1
            rounds += county.flush(plan.flush_t)
        else:
            skipped.append("rollup")
        faults, seen = audit(county, plan)
        nproc = county.nproc
        moves = county.moves
    finally:
        county.close()
    summary = summarize(plan, seen, faults)
    summary.update({"out": str(out.resolve()), "seed": args.seed,
                    "skipped": skipped, "flush_rounds": rounds,
                    "processes": nproc + 0, "transfers": moves,
                    "seconds": round(time.monotonic() - t0, 1)})
    nodes = [{"path": p, "dir": str(county.dirs[p].resolve()),
              "key": county.keys[p], "parent": par, "name": name}
             for p, par, name in plan.nodes]
    (out / "county.json").write_text(json.dumps(
        {"month": summary["month"], "seed": args.seed, "nodes": nodes},
        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return summary


def audit(county, plan):
    """What gridnode says after the month, as of its last minute: every
    node verifies, holds nothing pending or rejected, each village holds
    the same bytes of its cases as the town; the town's stats; the county's
    cases and (with rollups) its stats; check reports and read receipts.
    Returns (faults, what was read)."""
    t, faults, seen = plan.flush_t, [], {}
    for p in county.dirs:
        v = county.js(p, ["verify"], t)
        w = county.js(p, ["whoami"], t)
        if not v["ok"] or v["faults"]:
            faults.append("%s: verify: %s" % (p, v["faults"]))
        if w["pending"] or w["rejects"]:
            faults.append("%s: %d pending, %d rejects" % (p, w["pending"],
                                                           w["rejects"]))
    for v in plan.grids:
        scope = v + "#"
        a = county.js(v, ["digest", "--scope", scope], t)
        b = county.js(TOWN, ["digest", "--scope", scope], t)
        if (a["digest"], a["count"]) != (b["digest"], b["count"]):
            faults.append("%s: its cases differ from the town's copy" % v)
    period = "%04d-%02d" % plan.month
    seen["stats"] = county.js(TOWN, ["stats", "--period", period, "--by",
                                     "category"], t)
    seen["county_cases"] = county.js(COUNTY, ["list"], t)
    if county.has_verb("rollup"):
        seen["county_stats"] = county.js(COUNTY, ["stats", "--period", period], t)
    if county.has_verb("checks"):
        seen["checks"] = county.js(TOWN, ["checks", "--period", period], t)
    if county.has_verb("notices"):
        seen["notices"] = county.js(COUNTY, ["notices"], t)
    return faults, seen


def summarize(plan, seen, faults):
    """Counts from the plan, checked against what gridnode itself counts."""
    st, county_cases = seen["stats"], seen["county_cases"]
    cases = plan.cases
    by_cat, by_out, by_status = {}, {}, {}
    for c in cases:
        by_cat[c.category] = by_cat.get(c.category, 0) + 1
        by_status[c.status] = by_status.get(c.status, 0) + 1
        if c.status in ("resolved", "closed"):
            by_out[c.outcome] = by_out.get(c.outcome, 0) + 1
    level = {"village": 0, "town": 0, "county": 0}
    for c in cases:
        if c.status in ("resolved", "closed"):
            d = c.level.count("/") + 1
            level["village" if d >= 3 else "town" if d == 2 else "county"] += 1
    disputes = [c for c in cases if c.category in DISPUTES]
    settled_d = [c for c in disputes if c.status in ("resolved", "closed")]
    asg = [a for c in cases for a in c.assignments]
    sat = {}
    for c in cases:
        if c.satisfaction:
            sat[c.satisfaction] = sat.get(c.satisfaction, 0) + 1
    tot = st["total"]
    # gridnode must count what the plan wrote.
    got = {g["key"]: g["received"] for g in st["groups"]}
    if got != by_cat:
        faults.append("town stats by category %s != planned %s" % (got, by_cat))
    if tot["mediated"] != by_out.get("mediated", 0) or \
            tot["disputes_settled"] != len(settled_d):
        faults.append("town stats mediated %d/%d != planned %d/%d" % (
            tot["mediated"], tot["disputes_settled"], by_out.get("mediated", 0),
            len(settled_d)))
    if (tot["settled_village"], tot["settled_town"], tot["settled_county"]) != \
            (level["village"], level["town"], level["county"]):
        faults.append("town stats settled levels differ from the plan")
    hard = sum(1 for c in cases if c.flow == "county")
    if len(county_cases) != hard:
        faults.append("the county holds %d cases, not the %d hard ones" % (
            len(county_cases), hard))
    cst = seen.get("county_stats")
    if cst is not None and cst["total"] != tot:
        faults.append("the county's sum of rollups %s != the town's stats %s" % (
            cst["total"], tot))
    ck = seen.get("checks")
    if ck is not None and ck["filed"] != len(plan.checks):
        faults.append("checks: %d filed, planned %d" % (ck["filed"],
                                                        len(plan.checks)))
    reads = sum(len(n.reads) for n in plan.notices)
    ns = seen.get("notices")
    if ns is not None and (len(ns) != len(plan.notices) or
                           sum(len(n["readers"]) for n in ns) != reads):
        faults.append("notices at the county: %d notices, %d receipts; "
                      "planned %d, %d" % (len(ns), sum(len(n["readers"])
                                                       for n in ns),
                                          len(plan.notices), reads))
    return {
        "month": "%04d-%02d" % plan.month,
        "nodes": len(plan.nodes),
        "cases": len(cases),
        "by_category": dict(sorted(by_cat.items(), key=lambda kv: -kv[1])),
        "by_outcome": dict(sorted(by_out.items(), key=lambda kv: -kv[1])),
        "by_status": by_status,
        "settled_level": level,
        "disputes": {"received": len(disputes), "settled": len(settled_d),
                     "mediated": sum(1 for c in settled_d
                                     if c.outcome == "mediated")},
        "dispatches": {"on_time": asg.count("on_time"), "late": asg.count("late"),
                        "unacked": asg.count("unacked")},
        "followups": sat,
        "reopened": sum(c.unsatisfied for c in cases),
        "notices": len(plan.notices),
        "reads": sum(len(n.reads) for n in plan.notices),
        "check_reports": {"filed": len(plan.checks),
                          "zero": sum(1 for c in plan.checks if c[3] == 0),
                          "on_time": ck["on_time"] if ck else None,
                          "reporting_rate": ck["reporting_rate"] if ck else None},
        "county_stats": cst["total"] if cst else None,
        "stats": {k: v for k, v in tot.items()},
        "faults": faults,
    }


def pct(r):
    return "-" if r is None else "%.1f%%" % (r * 100)


def print_text(s):
    p = print
    p("乾阳县示例数据 sample county %s (seed %d): %d nodes in %s" % (
        s["month"], s["seed"], s["nodes"], s["out"]))
    p("  案件 cases: %d — %s" % (s["cases"], ", ".join(
        "%s %s %d" % (STATUS_LABEL[k], k, v) for k, v in s["by_status"].items())))
    p("  按类别 by category: " + ", ".join(
        "%s %s %d" % (CATEGORY_LABEL[k], k, v) for k, v in s["by_category"].items()))
    p("  按结果 by outcome:  " + ", ".join(
        "%s %s %d" % (OUTCOME_LABEL[k], k, v) for k, v in s["by_outcome"].items()))
    lv = s["settled_level"]
    p("  办结层级 settled at: 村 village %d, 镇 town %d, 县 county %d" % (
        lv["village"], lv["town"], lv["county"]))
    d = s["disputes"]
    p("  矛盾纠纷 disputes: %d received, %d settled, %d mediated (调解成功率 %d/%d)" % (
        d["received"], d["settled"], d["mediated"], d["mediated"], d["settled"]))
    a = s["dispatches"]
    p("  派单 dispatches: %d reported in on time, %d late, %d not yet" % (
        a["on_time"], a["late"], a["unacked"]))
    f = s["followups"]
    p("  回访 follow-ups (last): %s; reopened after an unsatisfied follow-up: %d" % (
        ", ".join("%s %d" % kv for kv in sorted(f.items())), s["reopened"]))
    cr = s["check_reports"]
    p("  通知 notices %d, read receipts %d; 排查报告 check reports %d of 14 "
      "(%d zero, %s on time)" % (s["notices"], s["reads"], cr["filed"], cr["zero"],
                                 "-" if cr["on_time"] is None else cr["on_time"]))
    for v in s["skipped"]:
        p("  note: this gridnode has no '%s' verb yet; those events were skipped" % v)
    t = s["stats"]
    r = t["rates"]
    p("  gridnode stats at the town, month end: %d received, %d settled, %d open "
      "(%d overdue)" % (t["received"], t["settled"], t["open"], t["overdue"]))
    p("    办结率 closure %s, 调解成功率 mediation %s, 按时报到率 on-time %s, "
      "满意率 satisfaction %s" % (pct(r["closure"]), pct(r["mediation"]),
                                  pct(r["ontime_ack"]), pct(r["satisfaction"])))
    p("    村内化解率 in village %s, 镇内化解率 in town %s, 矛盾不上交率 not passed up %s%s"
      % (pct(r["in_village"]), pct(r["in_town"]), pct(r["not_passed_up"]),
         ", 分级化解率 as graded %s" % pct(r["as_graded"]) if "as_graded" in r else ""))
    if s["county_stats"] is not None:
        p("  the county's stats (sum of the town's signed rollups) agree: "
          "%d received, %d mediated" % (s["county_stats"]["received"],
                                        s["county_stats"]["mediated"]))
    p("  %d gridnode processes (%d file transfers, flush settled in %d rounds), %.1f s"
      % (s["processes"], s["transfers"], s["flush_rounds"], s["seconds"]))
    for f in s["faults"]:
        p("  FAULT: " + f)


def month_arg(s):
    try:
        d = dt.datetime.strptime(s, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError("--month must be YYYY-MM")
    return d.year, d.month


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Create a demo county of gridnode data dirs and fill one "
        "month with plausible cases.")
    ap.add_argument("--gridnode", required=True, help="the gridnode binary")
    ap.add_argument("--out", required=True,
                    help="output directory (must not exist, or be empty)")
    today = dt.datetime.now(BJ).date()   # periods are China Standard Time
    prev = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    ap.add_argument("--month", type=month_arg, default=prev,
                    help="YYYY-MM (default: the month before this one)")
    ap.add_argument("--seed", type=int, default=1,
                    help="the same seed gives the same cases (default 1)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)
    try:
        s = run(args)
    except Fail as e:
        print("sample.py: %s" % e, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=1))
    else:
        print_text(s)
    return 1 if s["faults"] else 0


if __name__ == "__main__":
    sys.exit(main())
