// Records print no personal data: a log line, `print`, `dump` or a debugger's summary of a
// profile or an enrolment shows its ids and states, never a name, a birth date or an ABHA
// number. The core's `Debug` and the Kotlin and Python bindings (bindings/redact-records) do
// the same.

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
