# snmpsim variation module "outlet": a PDU outlet whose state is an integer in a file
# that the test harness (tests/support/snmpsim.rs) writes and reads.
#
# A record `OID|2:outlet|file=PATH[,write=N][,accept=M][,status=ERROR]`:
#   GET   answers the integer in PATH;
#   SET   writes the value sent to PATH (or N, for an object that switches another's
#         state, such as Eaton's on and off commands), and appends what it wrote to
#         PATH.sets; with accept=M a value other than M is refused (wrongValue); with
#         status=ERROR every SET fails with that SNMP error (genError, notWritable,
#         ...), as a locked outlet refuses it.
from pysnmp.smi import error

from snmpsim.grammar.snmprec import SnmprecGrammar
from snmpsim.record.snmprec import SnmprecRecord

ERRORS = {
    "generror": error.GenError,
    "notwritable": error.NotWritableError,
    "wrongvalue": error.WrongValueError,
    "noaccess": error.NoAccessError,
}


def init(**context):
    pass


def variate(oid, tag, value, **context):
    if not context["nextFlag"] and not context["exactMatch"]:
        return context["origOid"], tag, context["errorStatus"]
    settings = dict(item.split("=", 1) for item in value.split(","))
    path = settings["file"]
    type_tag, _ = SnmprecRecord.unpack_tag(tag)
    if context["setFlag"]:
        status = settings.get("status", "").lower()
        if status:
            idx = max(0, context["varsTotal"] - context["varsRemaining"] - 1)
            raise ERRORS[status](name=oid, idx=idx)
        sent = int(context["origValue"])
        if "accept" in settings and sent != int(settings["accept"]):
            idx = max(0, context["varsTotal"] - context["varsRemaining"] - 1)
            raise error.WrongValueError(name=oid, idx=idx)
        written = int(settings.get("write", sent))
        with open(path, "w") as state:
            state.write("%d\n" % written)
        with open(path + ".sets", "a") as sets:
            sets.write("%d\n" % written)
        return oid, tag, context["origValue"]
    with open(path) as state:
        current = int(state.read().strip())
    return oid, tag, SnmprecGrammar.TAG_MAP[type_tag](current)


def shutdown(**context):
    pass
