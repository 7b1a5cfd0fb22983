"""Koji exception classes; each carries the XML-RPC faultCode it travels as."""
import xmlrpc.client


class GenericError(Exception):
    """Base of every Koji error; the hub sends it as a fault with ``faultCode``."""
    faultCode = 1000
    fromFault = False

    def __str__(self):
        try:
            return str(self.args[0]['args'][0])
        except Exception:
            try:
                return str(self.args[0])
            except Exception:
                return str(self.__dict__)


class LockError(GenericError):
    faultCode = 1001


class AuthError(GenericError):
    faultCode = 1002


class TagError(GenericError):
    faultCode = 1003


class ActionNotAllowed(GenericError):
    faultCode = 1004


class BuildError(GenericError):
    faultCode = 1005


class AuthLockError(AuthError):
    faultCode = 1006


class AuthExpired(AuthError):
    faultCode = 1007


class SequenceError(AuthError):
    faultCode = 1008


class RetryError(AuthError):
    faultCode = 1009


class PreBuildError(BuildError):
    faultCode = 1010


class PostBuildError(BuildError):
    faultCode = 1011


class BuildrootError(BuildError):
    faultCode = 1012


class FunctionDeprecated(GenericError):
    faultCode = 1013


class ServerOffline(GenericError):
    faultCode = 1014


class LiveCDError(GenericError):
    faultCode = 1015


class PluginError(GenericError):
    faultCode = 1016


class CallbackError(PluginError):
    faultCode = 1017


class ApplianceError(GenericError):
    faultCode = 1018


class ParameterError(GenericError):
    faultCode = 1019


class ImportError(GenericError):  # noqa: A001 - upstream name, shadows the builtin on purpose
    faultCode = 1020


class ConfigurationError(GenericError):
    faultCode = 1021


class LiveMediaError(GenericError):
    faultCode = 1022


class GSSAPIAuthError(AuthError):
    faultCode = 1023


class NameValidationError(GenericError):
    faultCode = 1024


class MultiCallInProgress(object):
    """Returned by calls queued with the legacy ``session.multicall = True`` mode."""


class MultiCallNotReady(Exception):
    """A VirtualCall result was read before its multicall ran."""


def _fault_classes():
    """Map faultCode -> most specific class having that code."""
    found = {}
    pending = [GenericError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.faultCode, cls)
        pending.extend(cls.__subclasses__())
    return found


def convertFault(fault):
    """Turn an xmlrpc Fault into the Koji exception with the same faultCode."""
    code = getattr(fault, 'faultCode', None)
    if code is None:
        return fault
    cls = _fault_classes().get(code)
    if cls is None:
        return fault
    exc = cls(fault.faultString)
    exc.fromFault = True
    return exc


Fault = xmlrpc.client.Fault
