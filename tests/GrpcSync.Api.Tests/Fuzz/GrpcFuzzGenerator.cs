using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// Generates the gRPC storm's cases over every method of the GrpcSync services (read from the proto
/// descriptors). Client cases go through Grpc.Net.Client with raw protobuf bytes: garbage field values,
/// unparsable messages, messages over 4 MiB, deep or non-finite Structs, odd metadata, unknown methods. Raw
/// cases are hand-made HTTP/2: wrong content types, broken length-prefixed frames (compressed flag without
/// an encoding, length past the data, truncated prefix, trailing garbage), junk grpc-timeout and <c>-bin</c>
/// headers, huge or malformed header blocks, unknown paths, frames on the wrong streams.
/// <para>
/// As in the REST storm, a victim's own token only goes with cases that must be refused whatever they carry;
/// for the broken-frame cases its call is a destructive one on its own data (DeleteSync, DisableSync,
/// DeleteCredential), so a server that executed a malformed request would change what the victims read back.
/// </para>
/// </summary>
public sealed class GrpcFuzzGenerator(int grpcPort, FuzzTokens tokens, VictimTenants victims)
{
    public const int Storm = 2;

    private static readonly MethodDescriptor[] Methods =
        SyncReflection.Descriptor.Services.Concat(CredentialsReflection.Descriptor.Services).Concat(WebhooksReflection.Descriptor.Services)
            .SelectMany(s => s.Methods).ToArray();

    private static readonly string[] ClientKinds =
    [
        "client.garbage-fields", "client.garbage-bytes", "client.oversized-message", "client.unknown-method", "client.method-name-case", "client.odd-metadata",
        "client.deep-struct", "client.non-finite-struct", "client.tiny-deadline",
    ];

    private static readonly string[] RawKinds =
    [
        "raw.control-well-formed", "raw.content-type", "raw.compressed-flag-without-encoding", "raw.compressed-gzip-garbage",
        "raw.compressed-unknown-encoding", "raw.uncompressed-with-gzip-encoding", "raw.length-past-data", "raw.truncated-prefix",
        "raw.trailing-garbage", "raw.two-messages", "raw.no-data", "raw.empty-data", "raw.length-4-gib", "raw.reserved-flag-bits",
        "raw.garbage-payload", "raw.grpc-timeout", "raw.bad-base64-bin-header", "raw.huge-header", "raw.many-headers", "raw.unknown-path",
        "raw.method-not-post", "raw.missing-pseudo-header", "raw.uppercase-header-name", "raw.connection-specific-header",
        "raw.pseudo-header-after-regular", "raw.invalid-hpack", "raw.data-on-idle-stream", "raw.even-stream-id", "raw.client-reset",
        "raw.zero-window-update", "raw.bad-settings",
    ];

    /// <summary>Broken framing a server must refuse to execute, whatever the message inside.</summary>
    private static readonly HashSet<string> RejectingFrameKinds =
    [
        "raw.compressed-flag-without-encoding", "raw.compressed-gzip-garbage", "raw.compressed-unknown-encoding", "raw.length-past-data",
        "raw.truncated-prefix", "raw.trailing-garbage", "raw.two-messages", "raw.no-data", "raw.empty-data", "raw.length-4-gib",
        "raw.reserved-flag-bits", "raw.method-not-post", "raw.missing-pseudo-header", "raw.uppercase-header-name",
        "raw.connection-specific-header", "raw.pseudo-header-after-regular",
    ];

    private static readonly string[] RejectedContentTypes = ["text/plain", "application/json", "", "application/grpcx", "application/grpc-web", "application/xml"];
    private static readonly string[] LenientContentTypes = ["application/grpc+proto", "APPLICATION/GRPC", "application/grpc; charset=bogus", "application/grpc+bogus"];

    public static IReadOnlyList<string> Kinds { get; } = [.. ClientKinds, .. RawKinds];

    public GrpcFuzzCase Generate(int seed, int index)
    {
        var random = FuzzSeed.ForCase(seed, Storm, index);
        // The first cases go through every kind once, so even a short run covers them all.
        var kind = index < Kinds.Count ? Kinds[index] : JunkValues.Pick(random, Kinds);
        return kind.StartsWith("client.", StringComparison.Ordinal) ? ClientCase(kind, index, random) : RawCase(kind, index, random);
    }

    // ---- Through Grpc.Net.Client ----

    private GrpcFuzzCase ClientCase(string kind, int index, Random random)
    {
        var method = JunkValues.Pick(random, Methods);
        var path = PathOf(method);
        byte[] payload = [];
        var rejecting = false;
        var metadata = new List<FuzzMetadata>();
        var deadline = TimeSpan.FromSeconds(5);
        var expectUnimplemented = false;
        var kindLabel = kind;
        switch (kind)
        {
            case "client.garbage-fields":
                payload = GarbageMessage(method.InputType, random);
                rejecting = HasIdField(method.InputType); // every id is junk
                break;
            case "client.garbage-bytes":
                {
                    var firstIsId = method.InputType.FindFieldByNumber(1) is { FieldType: FieldType.String } f && f.Name.EndsWith("_id", StringComparison.Ordinal);
                    (var label, payload, rejecting) = random.Next(12) switch
                    {
                        0 => ("random", JunkValues.Bytes(random, 64), false),
                        1 => ("truncated varint", [0x08, 0xFF], true),
                        2 => ("length past the end", [0x0A, 0x7F, 0x61], true),
                        3 => ("11-byte varint", [0x08, .. Enumerable.Repeat((byte)0xFF, 10), 0x01], true),
                        4 => ("unterminated group", [0x0B, 0x08, 0x01], true),
                        5 => ("tag zero", [0x00, 0x01], true),
                        6 => ("end-group without a start", [0x0C], true),
                        7 => ("invalid UTF-8 in field 1", [0x0A, 0x02, 0xFF, 0xFE], firstIsId),
                        8 => ("4 GiB length", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x61], true),
                        9 => ("field 1 as fixed32", [0x0D, 1, 2, 3, 4], false),
                        10 => ("largest field number", [0xFA, 0xFF, 0xFF, 0xFF, 0x0F, 0x00], false),
                        _ => ("negative length", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], true),
                    };
                    kindLabel = $"{kind} ({label})";
                    break;
                }
            case "client.oversized-message":
                {
                    // Over the server's default 4 MiB receive limit: RESOURCE_EXHAUSTED, not a crash.
                    var field = method.InputType.Fields.InDeclarationOrder().FirstOrDefault(f => f.FieldType == FieldType.String)?.FieldNumber ?? 1000;
                    payload = Message(o =>
                    {
                        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
                        o.WriteString(new string('a', random.Next(5, 7) * 1024 * 1024));
                    });
                    rejecting = true;
                    break;
                }
            case "client.unknown-method":
                path = JunkValues.Pick(random,
                [
                    "/grpcsync.v1.SyncService/Nope", "/grpcsync.v1.Nope/GetSync", "/Nope/Nope", "/grpc.health.v1.Health/Nope",
                    "/grpcsync.v1.CredentialService/EnableSync", "/grpcsync.v1.SyncService/GetSync ", "/grpcsync.v2.SyncService/GetSync",
                ]);
                expectUnimplemented = true;
                rejecting = true;
                break;
            case "client.method-name-case":
                // ASP.NET Core routing matches paths case-insensitively, so these may reach the method: not asserted
                // to be UNIMPLEMENTED, only to be answered cleanly (the empty message is refused either way).
                path = JunkValues.Pick(random, ["/grpcsync.v1.syncservice/GetSync", "/grpcsync.v1.SyncService/getsync", "/GRPCSYNC.V1.SYNCSERVICE/DELETESYNC"]);
                rejecting = true;
                break;
            case "client.odd-metadata":
                payload = GarbageMessage(method.InputType, random);
                rejecting = HasIdField(method.InputType);
                switch (random.Next(6))
                {
                    case 0:
                        metadata.Add(new("x-fuzz-bin", null, JunkValues.Bytes(random, 1000)));
                        break;
                    case 1:
                        metadata.Add(new("x-fuzz", new string('v', random.Next(4_000, 15_000)), null));
                        break;
                    case 2:
                        metadata.AddRange(Enumerable.Range(0, 100).Select(i => new FuzzMetadata($"x-fuzz-{i}", "1", null)));
                        break;
                    case 3:
                        metadata.Add(new("authorization", "Bearer garbage", null));
                        break;
                    case 4:
                        metadata.Add(new("grpc-accept-encoding", JunkValues.Pick(random, ["bogus", "", "gzip;q=x", "identity, identity"]), null));
                        break;
                    default:
                        metadata.Add(new("user-agent", JunkValues.Pick(random, ["", "\u0001", new string('u', 8000)]).Replace("\u0001", "x", StringComparison.Ordinal), null));
                        break;
                }
                break;
            case "client.deep-struct":
                {
                    method = Methods.First(m => m.Name == "EnableSync");
                    path = PathOf(method);
                    // Each level is three nested messages (Struct → map entry → Value): 40 levels pass the parser's limit of 100.
                    var depth = random.Next(2) == 0 ? random.Next(40, 120) : random.Next(2, 20);
                    payload = EnableSyncWithConfiguration(DeepStruct(depth));
                    rejecting = depth >= 40;
                    kindLabel = $"{kind} (depth {depth})";
                    break;
                }
            case "client.non-finite-struct":
                {
                    method = Methods.First(m => m.Name == "EnableSync");
                    path = PathOf(method);
                    var (label, value) = random.Next(4) switch
                    {
                        0 => ("NaN", NumberValue(double.NaN)),
                        1 => ("Infinity", NumberValue(double.PositiveInfinity)),
                        2 => ("null_value 7", Message(o => { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt32(7); })),
                        _ => ("empty Value", Array.Empty<byte>()),
                    };
                    payload = EnableSyncWithConfiguration(StructOf("folder", value));
                    kindLabel = $"{kind} ({label})";
                    break;
                }
            default: // client.tiny-deadline
                payload = GarbageMessage(method.InputType, random);
                rejecting = HasIdField(method.InputType);
                deadline = TimeSpan.FromMilliseconds(random.Next(1, 5));
                break;
        }
        var token = ChooseToken(rejecting, random);
        return new GrpcFuzzCase
        {
            Index = index,
            Kind = kindLabel,
            Path = path,
            TokenLabel = token.Label,
            TokenKind = token.Kind,
            Authorization = token.Authorization,
            MustBeRejected = rejecting || token.Kind == TokenKind.Invalid,
            ExpectUnimplemented = expectUnimplemented,
            Payload = payload,
            Metadata = metadata,
            Deadline = deadline,
        };
    }

    // ---- Hand-made HTTP/2 ----

    private GrpcFuzzCase RawCase(string kind, int index, Random random)
    {
        var variant = random.Next(1000);
        var contentType = "application/grpc";
        var rejecting = RejectingFrameKinds.Contains(kind);
        var kindLabel = kind;
        if (kind == "raw.content-type")
        {
            var all = RejectedContentTypes.Concat(LenientContentTypes).ToArray();
            contentType = all[variant % all.Length];
            rejecting = RejectedContentTypes.Contains(contentType);
            kindLabel = $"{kind} ({(contentType.Length == 0 ? "none" : contentType)})";
        }
        // Connection-specific headers only make the request malformed (RFC 9113 §8.2.2); a victim's call with one is
        // not sent, so a server that serves it anyway is reported as such rather than as changed data.
        var token = kind == "raw.control-well-formed" ? tokens.Strangers[0]
            : ChooseToken(rejecting && kind != "raw.connection-specific-header", random);
        var (path, message, namesForeignId) = InnerCall(token, random);
        if (kind == "raw.no-data" || kind == "raw.empty-data")
        {
            rejecting = HasIdField(Methods.First(m => PathOf(m) == path).InputType);
        }

        var headers = new List<(string Name, string Value)>
        {
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", $"127.0.0.1:{grpcPort}"), ("content-type", contentType), ("te", "trailers"),
        };
        if (token.Authorization is not null)
        {
            headers.Add(("authorization", token.Authorization));
        }
        var frames = new List<Http2Frame>();
        byte[]? data = GrpcFrame(message);
        var streamId = 1;
        byte[]? rawBlock = null;
        var expectUnimplemented = false;
        int? expectStatus = null;
        var allowNoAnswer = false;
        var allowedGoAway = new HashSet<uint> { Http2Errors.NoError, Http2Errors.ProtocolError };

        switch (kind)
        {
            case "raw.control-well-formed":
                path = $"/{GetSyncPath}";
                headers[2] = (":path", path);
                data = GrpcFrame(new GetSyncRequest { SyncId = JunkValues.Uuid(random).ToString() }.ToByteArray());
                expectStatus = (int)Grpc.Core.StatusCode.NotFound;
                break;
            case "raw.content-type":
                if (contentType.Length == 0)
                {
                    headers.RemoveAll(h => h.Name == "content-type");
                }
                break;
            case "raw.compressed-flag-without-encoding":
                data = GrpcFrame(message, flag: 1);
                break;
            case "raw.compressed-gzip-garbage":
                headers.Add(("grpc-encoding", "gzip"));
                data = GrpcFrame(JunkValues.Bytes(random, 64), flag: 1);
                break;
            case "raw.compressed-unknown-encoding":
                headers.Add(("grpc-encoding", JunkValues.Pick(random, ["bogus", "br", "zstd", "GZIP"])));
                data = GrpcFrame(Gzip(message), flag: 1);
                break;
            case "raw.uncompressed-with-gzip-encoding":
                headers.Add(("grpc-encoding", "gzip"));
                break;
            case "raw.length-past-data":
                data = [0, .. BigEndian(message.Length + random.Next(1, 1000)), .. message];
                break;
            case "raw.truncated-prefix":
                data = GrpcFrame(message)[..random.Next(1, 5)];
                break;
            case "raw.trailing-garbage":
                data = [.. GrpcFrame(message), .. JunkValues.Bytes(random, 16)];
                break;
            case "raw.two-messages":
                data = [.. GrpcFrame(message), .. GrpcFrame(message)];
                break;
            case "raw.no-data":
                data = null;
                break;
            case "raw.empty-data":
                data = [];
                break;
            case "raw.length-4-gib":
                data = [0, 0xFF, 0xFF, 0xFF, 0xFF, .. message];
                break;
            case "raw.reserved-flag-bits":
                data = GrpcFrame(message, flag: (byte)JunkValues.Pick(random, [2, 0x80, 0xFF, 3]));
                break;
            case "raw.garbage-payload":
                data = GrpcFrame(JunkValues.Bytes(random, 200));
                break;
            case "raw.grpc-timeout":
                headers.Add(("grpc-timeout", JunkValues.Pick(random, ["abc", "99999999999999999S", "-1S", "1x", "", "1n", "100000000H", "1.5S", "S", "18446744073709551616n"])));
                break;
            case "raw.bad-base64-bin-header":
                headers.Add((JunkValues.Pick(random, ["x-fuzz-bin", "grpc-trace-bin", "grpc-status-details-bin"]), JunkValues.Pick(random, ["!!!", "====", "%%%", "a", "ab=c", "\u00e9\u00e9", "A===="])));
                break;
            case "raw.huge-header":
                headers.Add(("x-fuzz", new string('v', JunkValues.Pick(random, [12_000, 40_000, 100_000]))));
                break;
            case "raw.many-headers":
                headers.AddRange(Enumerable.Range(0, 200).Select(i => ($"x-fuzz-{i}", "1")));
                break;
            case "raw.unknown-path":
                {
                    var paths = new[]
                    {
                        "/grpcsync.v1.SyncService/Nope", "/grpcsync.v1.Nope/GetSync", "/Nope/Nope", "/grpcsync.v2.SyncService/GetSync",
                        "/", "/x", "/%ZZ", $"/{GetSyncPath}/extra", $"/{GetSyncPath}?x=1", "*", "/grpcsync.v1.SyncService/",
                    };
                    var chosen = variant % paths.Length;
                    path = paths[chosen];
                    headers[2] = (":path", path);
                    // Only a well-formed /Service/Method path names a gRPC method; the others may be a plain 404.
                    expectUnimplemented = chosen < 4;
                    rejecting = true;
                    break;
                }
            case "raw.method-not-post":
                headers[0] = (":method", JunkValues.Pick(random, ["GET", "PUT", "DELETE", "HEAD"]));
                break;
            case "raw.missing-pseudo-header":
                headers.RemoveAt(JunkValues.Pick(random, [0, 1, 2]));
                break;
            case "raw.uppercase-header-name":
                headers[4] = ("Content-Type", contentType);
                break;
            case "raw.connection-specific-header":
                headers.Add(JunkValues.Pick(random, [("connection", "keep-alive"), ("transfer-encoding", "chunked"), ("te", "gzip"), ("upgrade", "h2c"), ("keep-alive", "timeout=5")]));
                break;
            case "raw.pseudo-header-after-regular":
                headers.Add((":authority", "evil.example"));
                break;
            case "raw.invalid-hpack":
                // A decoding error is a connection error of type COMPRESSION_ERROR (RFC 7541 §2.3.3, RFC 9113 §4.3).
                rawBlock = JunkValues.Pick<byte[]>(random, [[0x80], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x00, 0x7F], [0x40, 0x85, 0x61], [0x3F, 0xE1, 0xFF, 0xFF, 0x0F]]);
                allowedGoAway.Add(Http2Errors.CompressionError);
                if (rawBlock is [0x80])
                {
                    // Kestrel's HPACK decoder (not GrpcSync code, and before any request exists) answers a reference
                    // to index 0 with INTERNAL_ERROR instead of COMPRESSION_ERROR. Allowed for this one block only,
                    // so any other INTERNAL_ERROR still fails the storm.
                    allowedGoAway.Add(Http2Errors.InternalError);
                }
                break;
            case "raw.data-on-idle-stream":
                frames.Add(new Http2Frame(Http2Frame.Data, Http2Frame.EndStream, 3, GrpcFrame(message)));
                streamId = 3;
                break;
            case "raw.even-stream-id":
                streamId = 2;
                break;
            case "raw.client-reset":
                allowNoAnswer = true;
                break;
            case "raw.zero-window-update":
                break;
            case "raw.bad-settings":
                {
                    // Connection errors: the answer is the GOAWAY, so no request follows (RFC 9113 §6.5, §6.5.2).
                    var settings = JunkValues.Pick<byte[]>(random,
                    [
                        [0x00, 0x02, 0x00, 0x00, 0x00, 0x02], // ENABLE_PUSH = 2: PROTOCOL_ERROR
                        [0x00, 0x05, 0x00, 0x00, 0x00, 0x64], // MAX_FRAME_SIZE = 100: PROTOCOL_ERROR
                        [0x00, 0x02, 0x00],                   // a length that is not a multiple of 6: FRAME_SIZE_ERROR
                    ]);
                    frames.Add(new Http2Frame(Http2Frame.Settings, 0, 0, settings));
                    if (settings.Length % 6 != 0)
                    {
                        allowedGoAway.Add(0x6);
                    }
                    break;
                }
        }

        if (kind is not "raw.data-on-idle-stream" and not "raw.bad-settings")
        {
            var block = rawBlock ?? Hpack.Encode(headers);
            var endStream = data is null;
            if (kind == "raw.client-reset")
            {
                frames.Add(new Http2Frame(Http2Frame.Headers, Http2Frame.EndHeaders, streamId, block));
                frames.Add(new Http2Frame(Http2Frame.Data, 0, streamId, data![..Math.Max(1, data!.Length / 2)]));
                frames.Add(new Http2Frame(Http2Frame.RstStream, 0, streamId, [0, 0, 0, 8])); // CANCEL
                frames.Add(new Http2Frame(Http2Frame.Ping, 0, 0, Http2Frame.EndMarker));
            }
            else
            {
                frames.AddRange(HeaderFrames(streamId, block, endStream));
                if (kind == "raw.zero-window-update")
                {
                    frames.Add(new Http2Frame(Http2Frame.WindowUpdate, 0, streamId, [0, 0, 0, 0]));
                }
                if (data is not null)
                {
                    frames.Add(new Http2Frame(Http2Frame.Data, Http2Frame.EndStream, streamId, data));
                }
            }
        }

        return new GrpcFuzzCase
        {
            Index = index,
            Kind = kindLabel,
            Path = path,
            TokenLabel = token.Label,
            TokenKind = token.Kind,
            Authorization = token.Authorization,
            MustBeRejected = rejecting || token.Kind == TokenKind.Invalid || (token.Kind == TokenKind.Stranger && namesForeignId),
            ExpectUnimplemented = expectUnimplemented,
            ExpectGrpcStatus = expectStatus,
            AllowNoAnswer = allowNoAnswer,
            ConnectionErrorExpected = kind is "raw.even-stream-id" or "raw.invalid-hpack" or "raw.data-on-idle-stream" or "raw.bad-settings",
            AllowedGoAwayCodes = allowedGoAway,
            Frames = frames,
            RawHeaders = rawBlock is null ? headers : [("(invalid HPACK block)", JunkValues.Preview(rawBlock))],
            StreamId = streamId,
        };
    }

    private static string GetSyncPath => $"{SyncService.Descriptor.FullName}/GetSync";

    /// <summary>
    /// The call inside a raw case: for a victim, a destructive call on their own data; for anyone else, a call
    /// naming a victim's id (which must come back NOT_FOUND), or one naming nothing (a list, a create).
    /// </summary>
    private (string Path, byte[] Message, bool NamesForeignId) InnerCall(FuzzToken token, Random random)
    {
        var owner = victims.All.FirstOrDefault(v => token.Kind == TokenKind.Owner && token.Authorization == "Bearer " + v.User.Token);
        if (owner is not null)
        {
            return random.Next(3) switch
            {
                0 => ($"/{SyncService.Descriptor.FullName}/DeleteSync", new DeleteSyncRequest { SyncId = JunkValues.Pick(random, owner.SyncIds) }.ToByteArray(), false),
                1 => ($"/{SyncService.Descriptor.FullName}/DisableSync", new DisableSyncRequest { SyncId = JunkValues.Pick(random, owner.SyncIds) }.ToByteArray(), false),
                _ => ($"/{CredentialService.Descriptor.FullName}/DeleteCredential", new DeleteCredentialRequest { CredentialId = JunkValues.Pick(random, owner.CredentialIds) }.ToByteArray(), false),
            };
        }
        var syncId = JunkValues.Pick(random, victims.AllSyncIds.ToArray());
        return random.Next(6) switch
        {
            0 => ($"/{SyncService.Descriptor.FullName}/DeleteSync", new DeleteSyncRequest { SyncId = syncId }.ToByteArray(), true),
            1 => ($"/{SyncService.Descriptor.FullName}/GetSync", new GetSyncRequest { SyncId = syncId }.ToByteArray(), true),
            2 => ($"/{CredentialService.Descriptor.FullName}/DeleteCredential",
                new DeleteCredentialRequest { CredentialId = JunkValues.Pick(random, victims.AllCredentialIds.ToArray()) }.ToByteArray(), true),
            3 => ($"/{SyncService.Descriptor.FullName}/TriggerSync", new TriggerSyncRequest { SyncId = syncId, Type = SyncRunType.Full }.ToByteArray(), true),
            4 => ($"/{SyncService.Descriptor.FullName}/ListSyncs", [], false),
            _ => ($"/{CredentialService.Descriptor.FullName}/CreateCredential",
                new CreateCredentialRequest { Integration = "googledrive", DisplayName = "fuzz", SecretText = "fuzz-secret" }.ToByteArray(), false),
        };
    }

    private FuzzToken ChooseToken(bool rejecting, Random random)
    {
        var roll = random.Next(100);
        return rejecting && roll < 45 ? JunkValues.Pick(random, tokens.Owners)
            : roll > 85 ? JunkValues.Pick(random, tokens.Invalid)
            : JunkValues.Pick(random, tokens.Strangers);
    }

    // ---- Messages and frames ----

    public static string PathOf(MethodDescriptor method) => $"/{method.Service.FullName}/{method.Name}";

    /// <summary>A bad id that is not empty: an empty optional id (ListSyncs' credential_id filter) reads as "not set", a valid request.</summary>
    private static string NonEmptyNonUuid(Random random)
    {
        var id = JunkValues.NonUuid(random);
        return id.Length > 0 ? id : "not-a-uuid";
    }

    private static bool HasIdField(MessageDescriptor type) =>
        type.Fields.InDeclarationOrder().Any(f => f.FieldType == FieldType.String && f.Name.EndsWith("_id", StringComparison.Ordinal));

    /// <summary>Every field of the request set to a bad value on the wire: junk ids, hostile text, extreme numbers, out-of-range enums, odd Structs.</summary>
    private static byte[] GarbageMessage(MessageDescriptor type, Random random) => Message(o =>
    {
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            switch (field.FieldType)
            {
                case FieldType.String:
                    o.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                    o.WriteString(field.Name.EndsWith("_id", StringComparison.Ordinal) ? NonEmptyNonUuid(random) : JunkValues.HostileText(random));
                    break;
                case FieldType.Int32 or FieldType.Int64 or FieldType.UInt32 or FieldType.UInt64 or FieldType.Enum or FieldType.Bool:
                    o.WriteTag(field.FieldNumber, WireFormat.WireType.Varint);
                    o.WriteInt64(JunkValues.Pick(random, [-1L, long.MinValue, long.MaxValue, int.MaxValue + 1L, 999, int.MinValue]));
                    break;
                case FieldType.Message when field.MessageType.FullName == "google.protobuf.Struct":
                    o.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                    o.WriteBytes(ByteString.CopyFrom(random.Next(2) == 0 ? DeepStruct(random.Next(1, 60)) : StructOf(JunkValues.HostileText(random), NumberValue(double.NaN))));
                    break;
                case FieldType.Message:
                    o.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                    o.WriteBytes(ByteString.CopyFrom(JunkValues.Bytes(random, 32)));
                    break;
            }
        }
    });

    private static byte[] EnableSyncWithConfiguration(byte[] configuration) => Message(o =>
    {
        o.WriteTag(EnableSyncRequest.IntegrationFieldNumber, WireFormat.WireType.LengthDelimited);
        o.WriteString("googledrive");
        o.WriteTag(EnableSyncRequest.PipelineFieldNumber, WireFormat.WireType.LengthDelimited);
        o.WriteString("files");
        o.WriteTag(EnableSyncRequest.ConfigurationFieldNumber, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(configuration));
    });

    /// <summary>A Struct nested <paramref name="depth"/> times through {"a": {...}} (Struct → entry → Value → Struct).</summary>
    private static byte[] DeepStruct(int depth)
    {
        byte[] inner = [];
        for (var i = 0; i < depth; i++)
        {
            var value = Message(o => { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(inner)); });
            inner = StructOf("a", value);
        }
        return inner;
    }

    private static byte[] StructOf(string key, byte[] value)
    {
        var entry = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteString(key);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(value));
        });
        return Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(entry)); });
    }

    private static byte[] NumberValue(double number) => Message(o => { o.WriteTag(2, WireFormat.WireType.Fixed64); o.WriteDouble(number); });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>A gRPC length-prefixed message: flag byte, 4-byte big-endian length, payload.</summary>
    private static byte[] GrpcFrame(byte[] message, byte flag = 0) => [flag, .. BigEndian(message.Length), .. message];

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }
        return compressed.ToArray();
    }

    private static IEnumerable<Http2Frame> HeaderFrames(int streamId, byte[] block, bool endStream)
    {
        const int maxFrame = 16_384;
        for (var offset = 0; offset < block.Length || offset == 0; offset += maxFrame)
        {
            var length = Math.Min(maxFrame, block.Length - offset);
            var last = offset + length >= block.Length;
            var first = offset == 0;
            var flags = (byte)((last ? Http2Frame.EndHeaders : 0) | (first && endStream ? Http2Frame.EndStream : 0));
            yield return new Http2Frame(first ? Http2Frame.Headers : Http2Frame.Continuation, flags, streamId, block[offset..(offset + length)]);
            if (block.Length == 0)
            {
                yield break;
            }
        }
    }
}
