using Grpc.Core;
using GrpcSync.Domain;

namespace GrpcSync.Server.Auth;

/// <summary>Access to the authenticated caller that <see cref="AuthInterceptor"/> put on the call.</summary>
public static class CallerExtensions
{
    internal const string Key = "grpcsync.caller";

    public static Scope Caller(this ServerCallContext context) =>
        context.UserState.TryGetValue(Key, out var value) && value is Scope scope
            ? scope
            : throw new InvalidOperationException("The call was not authenticated; is AuthInterceptor registered?");
}
