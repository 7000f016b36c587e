package org.healthlocker

import java.io.ByteArrayInputStream
import java.io.File
import java.io.IOException
import java.io.RandomAccessFile
import java.security.MessageDigest
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.random.Random
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.After
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/** The facade and the generated bindings, on a real JVM against the real library, told as a family's stories. */
class HealthLockerTest {
    @get:Rule val tmp = TemporaryFolder()

    private val fixtures = File(System.getProperty("healthlocker.fixtures") ?: "fixtures/bundles")
    private val opened = mutableListOf<HealthLocker>()

    @After fun closeAll() = opened.forEach { runCatching { it.close() } }

    private fun sample(name: String) = File(fixtures, "$name.json").readBytes()

    private fun storeDir() = tmp.newFolder("store")

    private fun track(l: HealthLocker) = l.also { opened += it }

    private fun owner() = NewProfile(
        name = "Kavita Sharma", gender = Gender.FEMALE, birthDate = "1986-02-14",
        abhaNumber = "91-5540-2234-7788", abhaAddress = "kavita.s@sbx", relation = "self", isOwner = true,
    )

    private fun lockerWithOwner(dir: File = storeDir(), keys: KeyProvider = InMemoryKeyProvider()): Pair<HealthLocker, Profile> {
        val l = track(HealthLocker.create(dir, keys))
        return l to l.profiles.add(owner())
    }

    private fun fingerprint(dir: File): Map<String, String> =
        dir.walkTopDown().filter { it.isFile }.associate { f ->
            f.relativeTo(dir).path to MessageDigest.getInstance("SHA-256").digest(f.readBytes()).joinToString("") { "%02x".format(it) }
        }

    private fun pattern(n: Int) = Random(7).nextBytes(n)

    @Test fun `a family's locker opens again with its key and shows the same people`() {
        val dir = storeDir()
        val keys = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, keys)
        val child = l.profiles.add(NewProfile(name = "Rohan Sharma", gender = Gender.MALE, birthDate = "2015", relation = "child"))
        l.close()
        assertFailsWith<LockerException.Closed> { l.profiles.list() }

        val again = track(HealthLocker.open(dir, keys))
        assertEquals(listOf(owner, child), again.profiles.list())
        again.close()
        assertEquals(listOf(owner, child), track(HealthLocker.openOrCreate(dir, keys)).profiles.list())
        assertTrue(HealthLocker.openOrCreate(File(tmp.root, "fresh"), keys).also { track(it) }.profiles.list().isEmpty())
    }

    @Test fun `a store whose database file was lost is reported damaged and never built over`() {
        val dir = storeDir()
        val keys = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, keys)
        l.attachments.add(owner.id, "application/pdf", "%PDF-1.4 a scanned report".byteInputStream())
        l.close()
        File(dir, "locker.db").delete()
        val before = fingerprint(dir) - "locker.lock"

        for (k in listOf(keys, InMemoryKeyProvider())) {
            val lost = assertFailsWith<LockerException.Corrupt> { HealthLocker.openOrCreate(dir, k) }
            assertTrue(lost.reason.contains("locker.db is missing"), lost.reason)
        }
        val refused = assertFailsWith<LockerException.StoreExists> { Locker.create(dir.path, ByteArray(32)) }
        assertTrue(refused.found.contains("attachments/ (1 file)"), refused.found)
        assertEquals(before, fingerprint(dir) - "locker.lock")
    }

    @Test fun `a wrong key is refused and every byte of the store stays as it was`() {
        val dir = storeDir()
        val keys = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, keys)
        l.records.import(owner.id, sample("prescription"))
        l.close()
        val before = fingerprint(dir)

        assertFailsWith<LockerException.WrongKey> { HealthLocker.open(dir, InMemoryKeyProvider()) }
        assertEquals(before, fingerprint(dir))
        assertFailsWith<LockerException.InvalidInput> { Locker.open(dir.path, ByteArray(31)) }
        assertEquals(1, track(HealthLocker.open(dir, keys)).records.list().records.size)
    }

    @Test fun `every kind of record imports, classified, and a second copy is a duplicate`() {
        val (l, owner) = lockerWithOwner()
        val expected = mapOf(
            "op-consultation" to HiType.OP_CONSULTATION, "prescription" to HiType.PRESCRIPTION,
            "discharge-summary" to HiType.DISCHARGE_SUMMARY, "diagnostic-report" to HiType.DIAGNOSTIC_REPORT,
            "immunization" to HiType.IMMUNIZATION_RECORD, "health-document" to HiType.HEALTH_DOCUMENT_RECORD,
            "wellness" to HiType.WELLNESS_RECORD, "invoice" to HiType.INVOICE,
        )
        val ids = expected.map { (name, type) ->
            val r = l.records.import(owner.id, sample(name))
            assertEquals(type, r.hiType, name)
            assertTrue(r.title.isNotBlank() && r.date != null, name)
            r.id
        }
        val dup = assertFailsWith<LockerException.Duplicate> { l.records.import(owner.id, sample("invoice")) }
        assertEquals(ids.last(), dup.existing)
        for (bad in File(fixtures, "invalid").listFiles()!!) {
            assertFailsWith<LockerException.InvalidInput>(bad.name) { l.records.import(owner.id, bad) }
        }
        assertEquals(8, l.records.all().count())
    }

    @Test fun `records list newest first and filter by type, dates, words and person`() {
        val (l, owner) = lockerWithOwner()
        val child = l.profiles.add(NewProfile(name = "Rohan Sharma", gender = Gender.MALE, birthDate = "2015", relation = "child"))
        for (name in listOf("op-consultation", "prescription", "discharge-summary", "diagnostic-report", "wellness")) {
            l.records.import(owner.id, sample(name))
        }
        l.records.import(child.id, sample("immunization"))

        val all = l.records.list().records
        assertEquals(6, all.size)
        assertEquals(all.sortedByDescending { it.sortMs }, all)
        assertEquals(listOf(HiType.PRESCRIPTION), l.records.list(RecordQuery(hiTypes = listOf(HiType.PRESCRIPTION))).records.map { it.hiType })
        val in2024 = l.records.list(RecordQuery(fromDate = "2024-01-01", toDate = "2024-12-31")).records
        assertEquals(setOf(HiType.OP_CONSULTATION, HiType.IMMUNIZATION_RECORD), in2024.map { it.hiType }.toSet())
        assertEquals(listOf(HiType.DISCHARGE_SUMMARY), l.records.list(RecordQuery(text = "dengue")).records.map { it.hiType })
        assertEquals(listOf(HiType.DIAGNOSTIC_REPORT), l.records.list(RecordQuery(text = "lipi")).records.map { it.hiType })
        assertEquals(listOf(child.id), l.records.list(RecordQuery(profileId = child.id)).records.map { it.profileId })
        assertTrue(l.records.list(RecordQuery(text = "appendicectomy")).records.isEmpty())

        // Two at a time, every record exactly once.
        val first = l.records.list(RecordQuery(limit = 2u))
        assertEquals(2, first.records.size)
        assertNotEquals(null, first.nextCursor)
        assertEquals(all, l.records.all(RecordQuery(limit = 2u)).toList())
    }

    @Test fun `a record exports exactly as imported, to memory or a file, and deletes`() {
        val (l, owner) = lockerWithOwner()
        val bundle = sample("health-document") // carries an inline PDF
        val r = l.records.import(owner.id, bundle, careContext = "visit-2018-appendix")
        assertEquals("visit-2018-appendix", r.careContext)
        assertContentEquals(bundle, l.records.export(r.id))
        assertContentEquals(bundle, l.records.read(r.id))
        assertEquals(1L, l.records.count())
        val out = File(tmp.root, "export.json")
        assertEquals(bundle.size.toLong(), l.records.export(r.id, out))
        assertContentEquals(bundle, out.readBytes())

        l.records.delete(r.id)
        assertFailsWith<LockerException.NotFound> { l.records.get(r.id) }
        assertFailsWith<LockerException.NotFound> { l.records.export(r.id) }
        assertEquals(0L, l.records.count())
    }

    @Test fun `a large scan streams in and out in pieces, and by file`() {
        val (l, owner) = lockerWithOwner()
        val scan = pattern(3 * 1024 * 1024 + 17)
        val info = l.attachments.add(owner.id, "application/pdf", ByteArrayInputStream(scan))
        assertEquals(scan.size.toULong(), info.size)
        assertContentEquals(scan, l.attachments.open(info.id).use { it.readBytes() })

        val file = File(tmp.root, "xray.png").apply { writeBytes(pattern(200_000)) }
        val byPath = l.attachments.add(owner.id, "image/png", file)
        val saved = File(tmp.root, "saved.png")
        assertEquals(200_000L, l.attachments.save(byPath.id, saved))
        assertContentEquals(file.readBytes(), saved.readBytes())
        assertEquals(listOf(byPath.id, info.id), l.attachments.list(owner.id).map { it.id })

        l.attachments.delete(byPath.id)
        assertFailsWith<LockerException.NotFound> { l.attachments.get(byPath.id) }
    }

    @Test fun `an upload that fails part way leaves nothing behind`() {
        val dir = storeDir()
        val (l, owner) = lockerWithOwner(dir)
        val failing = object : java.io.InputStream() {
            var left = 500_000
            override fun read(): Int = throw UnsupportedOperationException()
            override fun read(b: ByteArray, off: Int, len: Int): Int {
                if (left <= 0) throw IOException("camera stream lost")
                val n = minOf(len, left).also { left -= it }
                return n
            }
        }
        assertFailsWith<IOException> { l.attachments.add(owner.id, "image/jpeg", failing) }
        assertTrue(l.attachments.list(owner.id).isEmpty())
        assertTrue(File(dir, "attachments").listFiles()!!.isEmpty())
    }

    @Test fun `a changed byte in an attachment file is caught as tampering`() {
        val dir = storeDir()
        val (l, owner) = lockerWithOwner(dir)
        val info = l.attachments.add(owner.id, "application/pdf", ByteArrayInputStream(pattern(300_000)))
        RandomAccessFile(File(dir, "attachments/${info.id}.hla"), "rw").use {
            it.seek(100_000)
            val b = it.read()
            it.seek(100_000)
            it.write(b xor 0x01)
        }
        val e = assertFailsWith<IOException> { l.attachments.open(info.id).use { it.readBytes() } }
        assertIs<LockerException.Tampered>(e.cause)
        val report = l.check()
        assertEquals(listOf(info.id), report.damagedAttachments)
        assertTrue(report.problems.isNotEmpty())
    }

    @Test fun `check passes on a sound store with records and attachments`() {
        val (l, owner) = lockerWithOwner()
        l.records.import(owner.id, sample("diagnostic-report"))
        l.attachments.add(owner.id, "image/png", ByteArrayInputStream(pattern(70_000)))
        val report = l.check()
        assertEquals(emptyList(), report.problems)
        assertEquals(1uL, report.attachmentsChecked) // the image; the report's small inline PDF stays in its bundle
        assertIs<AuditVerification.Intact>(report.audit)
    }

    @Test fun `the audit log records each change, without personal data`() {
        val (l, owner) = lockerWithOwner()
        val count = { (l.verifyAudit() as AuditVerification.Intact).entries }
        val start = count()
        val r = l.records.import(owner.id, sample("op-consultation"))
        l.records.read(r.id) // shown on this device: not an export, not audited
        l.records.export(r.id)
        l.records.delete(r.id)
        l.profiles.update(owner.copy(name = "Kavita S. Verma", abhaAddress = null))
        assertEquals(start + 4u, count())
        val entries = l.auditEntries(10)
        assertEquals(listOf("profile.update", "record.delete", "record.export", "record.import", "profile.add", "store.create"), entries.map { it.action })
        val text = entries.joinToString { "$it" }
        for (secret in listOf("Kavita", "Sharma", "Meenakshi", "91-5540", "kavita.s")) assertTrue(secret !in text, secret)
    }

    @Test fun `a record's toString carries no personal data`() {
        val (l, owner) = lockerWithOwner()
        val printed = listOf(owner, owner(), RecordQuery(text = "tuberculosis")).joinToString(" ") { it.toString() }
        for (personal in listOf(owner.name, owner.birthDate, owner.abhaNumber ?: "-", "tuberculosis")) {
            assertFalse(printed.contains(personal), printed)
        }
        assertTrue(printed.contains(owner.id), printed)
        l.close()
    }

    @Test fun `profiles are edited whole and removing one takes its records`() {
        val (l, owner) = lockerWithOwner()
        val edited = l.profiles.update(owner.copy(name = "Kavita S. Verma", abhaAddress = null))
        assertEquals("Kavita S. Verma", edited.name)
        assertNull(edited.abhaAddress)
        assertEquals(owner.abhaNumber, l.profiles.get(owner.id).abhaNumber)

        val child = l.profiles.add(NewProfile(name = "Rohan Sharma", gender = Gender.MALE, birthDate = "2015", relation = "child"))
        val rec = l.records.import(child.id, sample("immunization"))
        l.profiles.remove(child.id)
        assertFailsWith<LockerException.NotFound> { l.records.get(rec.id) }
        assertEquals(listOf(edited), l.profiles.list())
        assertFailsWith<LockerException.InvalidInput> {
            l.profiles.add(NewProfile(name = "", gender = Gender.OTHER, birthDate = "2015", relation = "child"))
        }
    }

    @Test fun `a new key replaces the old one`() {
        val dir = storeDir()
        val old = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, old)
        l.records.import(owner.id, sample("wellness"))
        val newKey = generateKey()
        l.rekey(newKey.copyOf())
        l.close()
        assertFailsWith<LockerException.WrongKey> { HealthLocker.open(dir, old) }
        assertEquals(1, track(HealthLocker.open(dir, InMemoryKeyProvider(newKey))).records.list().records.size)
    }

    @Test fun `one locker serves several threads at once`() {
        val (l, owner) = lockerWithOwner()
        val names = listOf("op-consultation", "prescription", "discharge-summary", "diagnostic-report")
        val pool = Executors.newFixedThreadPool(4)
        val jobs = names.map { name -> pool.submit { l.records.import(owner.id, sample(name)); repeat(20) { l.records.list() } } }
        jobs.forEach { it.get(60, TimeUnit.SECONDS) }
        pool.shutdown()
        assertEquals(4, l.records.list().records.size)
    }
}
