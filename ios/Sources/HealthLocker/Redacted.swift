// Records print no personal data: a log line, `print`, `dump` or a debugger's summary of a
// profile, an enrolment, a consent or a counter's patient shows its ids and states, never a name,
// a birth date, an ABHA number or address, a phone number, a signed code's text, or a health
// record. The core's `Debug` and the Kotlin and Python bindings (bindings/redact-records) do the
// same.

import Foundation

private func redacted(_ type: String, _ shown: KeyValuePairs<String, Any>) -> String {
    "\(type)(" + shown.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
}

extension NewProfile: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("NewProfile", ["relation": relation, "isOwner": isOwner]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["relation": relation, "isOwner": isOwner]) }
}

extension Profile: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("Profile", ["id": id, "isOwner": isOwner, "relation": relation]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "isOwner": isOwner, "relation": relation]) }
}

extension CitizenDetails: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "CitizenDetails()" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension Enrolment: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        redacted("Enrolment", ["id": id, "mode": mode, "state": state, "outcome": outcome as Any, "erased": erased])
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["id": id, "mode": mode, "state": state, "outcome": outcome as Any, "erased": erased])
    }
}

extension RecordSummary: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("RecordSummary", ["id": id, "profileId": profileId, "hiType": hiType]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "profileId": profileId, "hiType": hiType]) }
}

extension RecordQuery: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("RecordQuery", ["profileId": profileId as Any, "limit": limit]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["profileId": profileId as Any, "limit": limit]) }
}

// Consent: the requester is a health worker named to the citizen; an ABHA address (a grant's or an
// auto-approval's patient, a care context's patient reference) is the citizen's; a released
// record's bundle is their health record.

extension ConsentRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var shown: KeyValuePairs<String, Any> {
        ["id": id, "purpose": purpose, "status": status, "hiTypes": hiTypes]
    }
    public var description: String { redacted("ConsentRequest", shown) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: shown) }
}

extension Grant: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var shown: KeyValuePairs<String, Any> {
        [
            "id": id, "requestId": requestId as Any, "status": status, "hiu": hiu, "hip": hip, "hiTypes": hiTypes,
            "verification": verification,
        ]
    }
    public var description: String { redacted("Grant", shown) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: shown) }
}

extension CareContextRef: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("CareContextRef", ["careContextReference": careContextReference]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["careContextReference": careContextReference]) }
}

extension AutoApproval: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var shown: KeyValuePairs<String, Any> {
        ["hiu": hiu, "enabled": enabled, "policyId": policyId as Any, "synced": synced]
    }
    public var description: String { redacted("AutoApproval", shown) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: shown) }
}

extension ReleasedRecord: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("ReleasedRecord", ["id": id, "artefact": artefact]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "artefact": artefact]) }
}

// Scan & Share: a contact is a phone number and an address; a counter's patient is a person; a
// signed code's text encodes its holder's name and numbers.

extension ShareContact: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("ShareContact", [:]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension CounterPatient: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        redacted("CounterPatient", ["id": id, "source": source, "verified": verified])
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "source": source, "verified": verified]) }
}

extension SignedQr: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("SignedQr", ["expiresAtMs": expiresAtMs]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["expiresAtMs": expiresAtMs]) }
}

// Fidelius: a key pair holds its private key (the public key is not secret).

extension FideliusKeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("FideliusKeyPair", ["publicKeyRaw": publicKeyRaw]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKeyRaw": publicKeyRaw]) }
}

// Records from hospitals: what a facility calls a visit is the record's content; a facility's
// reference for the citizen and their ABHA address are theirs.

extension FoundCareContext: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("FoundCareContext", ["reference": reference]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["reference": reference]) }
}

extension FoundPatient: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted("FoundPatient", ["hiType": hiType as Any]) }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["hiType": hiType as Any]) }
}

extension CareLink: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        redacted("CareLink", ["hipId": hipId, "careContext": careContext, "linkedHere": linkedHere])
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["hipId": hipId, "careContext": careContext, "linkedHere": linkedHere])
    }
}
