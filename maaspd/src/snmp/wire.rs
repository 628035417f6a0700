//! What an SNMP response says, read from the snmp2 crate's decoded `Pdu`.

use snmp2::{Pdu, Value};

/// A GET of one object, or a SET of one object to an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    Get,
    SetInteger(i64),
}

impl Request {
    /// `GET` or `SET`, for messages.
    pub(super) fn verb(self) -> &'static str {
        match self {
            Request::Get => "GET",
            Request::SetInteger(_) => "SET",
        }
    }
}

/// What the agent answered for the one object asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Answer {
    /// A non-zero error-status (RFC 3416 §3), by its number.
    ErrorStatus(u32),
    /// An INTEGER value.
    Integer(i64),
    /// v2c's exceptions for an object the agent does not have.
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
    /// Another type of value, by name (`OCTET STRING`, ...).
    Other(&'static str),
    /// A response without any variable binding.
    Empty,
}

/// What a response (the snmp2 session checked its request-id and community) says of
/// the one object asked.
pub(super) fn answer(mut pdu: Pdu<'_>) -> Answer {
    if pdu.error_status != 0 {
        return Answer::ErrorStatus(pdu.error_status);
    }
    match pdu.varbinds.next() {
        None => Answer::Empty,
        Some((_, Value::Integer(value))) => Answer::Integer(value),
        Some((_, Value::NoSuchObject)) => Answer::NoSuchObject,
        Some((_, Value::NoSuchInstance)) => Answer::NoSuchInstance,
        Some((_, Value::EndOfMibView)) => Answer::EndOfMibView,
        Some((_, other)) => Answer::Other(type_name(&other)),
    }
}

/// RFC 3416's name of an error-status, with its number: `notWritable (17)`.
pub(super) fn error_status_name(status: u32) -> String {
    const NAMES: [&str; 19] = [
        "noError",
        "tooBig",
        "noSuchName",
        "badValue",
        "readOnly",
        "genErr",
        "noAccess",
        "wrongType",
        "wrongLength",
        "wrongEncoding",
        "wrongValue",
        "noCreation",
        "inconsistentValue",
        "resourceUnavailable",
        "commitFailed",
        "undoFailed",
        "authorizationError",
        "notWritable",
        "inconsistentName",
    ];
    match usize::try_from(status).ok().and_then(|i| NAMES.get(i)) {
        Some(name) => format!("{name} ({status})"),
        None => format!("error-status {status}"),
    }
}

fn type_name(value: &Value<'_>) -> &'static str {
    match value {
        Value::Boolean(_) => "BOOLEAN",
        Value::Null => "NULL",
        Value::OctetString(_) => "OCTET STRING",
        Value::ObjectIdentifier(_) => "OBJECT IDENTIFIER",
        Value::IpAddress(_) => "IpAddress",
        Value::Counter32(_) => "Counter32",
        Value::Unsigned32(_) => "Unsigned32",
        Value::Timeticks(_) => "TimeTicks",
        Value::Opaque(_) => "Opaque",
        Value::Counter64(_) => "Counter64",
        _ => "a constructed value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The GetResponse-PDU to `snmpget -v1 -c private HOST
    /// .1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3` (request-id 1), with the error-status
    /// `status` and the value `value` (its tag, length and content).
    fn response(status: u8, value: &[u8]) -> Vec<u8> {
        const OID: [u8; 16] = [
            0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x3e, 0x01, 0x01, 0x0c, 0x03, 0x03, 0x01, 0x01,
            0x04, 0x03,
        ];
        let varbind_length = 2 + OID.len() + value.len();
        let list_length = 2 + varbind_length;
        let pdu_length = 9 + 2 + list_length;
        let message_length = 3 + 2 + 7 + 2 + pdu_length;
        let byte = |n: usize| u8::try_from(n).expect("a short form length");
        [
            &[0x30, byte(message_length), 0x02, 0x01, 0x00, 0x04, 0x07][..],
            b"private",
            &[
                0xa2,
                byte(pdu_length),
                0x02,
                0x01,
                0x01,
                0x02,
                0x01,
                status,
                0x02,
                0x01,
                0x00,
            ],
            &[
                0x30,
                byte(list_length),
                0x30,
                byte(varbind_length),
                0x06,
                byte(OID.len()),
            ],
            &OID,
            value,
        ]
        .concat()
    }

    fn read(status: u8, value: &[u8]) -> Answer {
        answer(Pdu::from_bytes(&response(status, value)).expect("a response"))
    }

    #[test]
    fn answers_are_read_from_the_response() {
        assert_eq!(read(0, &[0x02, 0x01, 0x02]), Answer::Integer(2));
        assert_eq!(read(0, &[0x02, 0x02, 0x01, 0x00]), Answer::Integer(256));
        assert_eq!(read(0, &[0x80, 0x00]), Answer::NoSuchObject);
        assert_eq!(read(0, &[0x81, 0x00]), Answer::NoSuchInstance);
        assert_eq!(read(0, &[0x82, 0x00]), Answer::EndOfMibView);
        assert_eq!(
            read(0, &[0x04, 0x02, b'o', b'n']),
            Answer::Other("OCTET STRING")
        );
        assert_eq!(read(0, &[0x05, 0x00]), Answer::Other("NULL"));
        assert_eq!(read(17, &[0x02, 0x01, 0x01]), Answer::ErrorStatus(17));
    }

    #[test]
    fn error_statuses_have_their_rfc_names() {
        assert_eq!(error_status_name(2), "noSuchName (2)");
        assert_eq!(error_status_name(17), "notWritable (17)");
        assert_eq!(error_status_name(99), "error-status 99");
    }
}
