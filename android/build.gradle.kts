// healthlocker for Android: the Rust core as a .so per ABI (cargo-ndk), the generated uniffi bindings, and the
// Kotlin facade. Needs, on the developer's machine: the Android SDK with an NDK (ANDROID_NDK_HOME), rustup with the
// Android targets (see README), and `cargo install cargo-ndk`.
//
//   ./gradlew assembleRelease      builds the .so files, generates the bindings, packages the AAR
//   ./gradlew testDebugUnitTest    JVM tests against a host build of the library
//
// The same JVM tests run without Gradle or the SDK in tests/run (android/scripts/jvm-test).

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

val repoRoot: File = rootDir.parentFile
val generatedDir = layout.buildDirectory.dir("generated/uniffi")
val jniLibsDir = layout.buildDirectory.dir("generated/jniLibs")
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64", "x86")

android {
    namespace = "org.healthlocker"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    sourceSets["main"].java.srcDir(generatedDir.map { it.dir("kotlin") })
    sourceSets["main"].jniLibs.srcDir(jniLibsDir)
    testOptions.unitTests.all {
        it.systemProperty("jna.library.path", generatedDir.get().dir("lib").asFile.path)
        it.systemProperty("healthlocker.fixtures", File(repoRoot, "fixtures/bundles").path)
    }
}

kotlin {
    compilerOptions.jvmTarget.set(JvmTarget.JVM_17)
}

dependencies {
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    // Background sync (org.healthlocker.android.SyncWorker).
    implementation("androidx.work:work-runtime-ktx:2.9.1")
    testImplementation("net.java.dev.jna:jna:5.13.0")
    testImplementation("junit:junit:4.13.2")
    // The Java peer of FideliusInteropTest (Debian's libbcprov-java in tests/run): tests only.
    testImplementation("org.bouncycastle:bcprov-jdk18on:1.72")
    testImplementation(kotlin("test-junit"))
}

// The Rust library for every Android ABI, stripped (the bindings are generated from an unstripped host build).
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = repoRoot
    val args = mutableListOf("cargo", "ndk", "--platform", "24", "-o", jniLibsDir.get().asFile.path)
    abis.forEach { args += listOf("-t", it) }
    args += listOf("build", "--release", "--locked", "-p", "locker-ffi")
    commandLine(args)
    outputs.dir(jniLibsDir)
}

// Kotlin bindings (package org.healthlocker) from the unstripped host library; also the host library for JVM tests.
val generateBindings by tasks.registering(Exec::class) {
    workingDir = repoRoot
    commandLine("bindings/generate", "--release", "--out", generatedDir.get().asFile.path)
    outputs.dir(generatedDir)
}

tasks.named("preBuild") { dependsOn(generateBindings, cargoNdk) }
