package assay.messy
import rego.v1
deny contains msg if {
  input.settings.passwordauthentication=="yes"
     msg:=sprintf("%s",[input.path])
}
